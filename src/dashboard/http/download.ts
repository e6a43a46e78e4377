import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Request, Response } from 'express';

/**
 * Hands a streamed Management API answer (CSV) to the browser as it arrives, with the API's own
 * type and file name: the download is the API's rows, byte for byte, never held in memory. The
 * browser leaving aborts the API call, which ends the API's database cursor.
 */
export async function passDownload(req: Request, res: Response, open: (signal: AbortSignal) => Promise<globalThis.Response>): Promise<void> {
  const abort = new AbortController();
  res.on('close', () => { if (!res.writableFinished) abort.abort(); }); // the response's close: the request's fires once its body is read
  const answer = await open(abort.signal);
  res.status(200);
  res.setHeader('content-type', answer.headers.get('content-type') ?? 'text/csv; charset=utf-8');
  res.setHeader('content-disposition', answer.headers.get('content-disposition') ?? 'attachment');
  res.setHeader('cache-control', 'no-store');
  if (!answer.body) return void res.end();
  try {
    await pipeline(Readable.fromWeb(answer.body as import('node:stream/web').ReadableStream), res);
  } catch (err) {
    if (!abort.signal.aborted) throw err; // cut mid-way: the error handler ends the connection, so no truncated file looks whole
  }
}
