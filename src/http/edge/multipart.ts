import busboy from 'busboy';
import type { Request, RequestHandler } from 'express';
import { AppError, BadRequestError } from '../../errors/app-error.ts';

export interface MultipartSpec {
  /** The one file part accepted; its content becomes `req.body[file]` as text. */
  file: string;
  maxBytes: number;
}

const MAX_FIELDS = 10;
const MAX_FIELD_BYTES = 1024;
/** Room for the boundaries, part headers and small fields around the file. */
const ENVELOPE_BYTES = 64 * 1024;

export class PayloadTooLargeError extends AppError {
  constructor(maxBytes: number) { super('payload_too_large', 413, `Payload content length greater than maximum allowed: ${maxBytes}.`); }
}

const invalid = (why: string) => new BadRequestError(`Payload validation error: 'Invalid multipart payload format' (${why}).`, 'invalid_body');

/**
 * The edge kit's multipart/form-data reader (busboy, streaming): text fields and one file, each
 * bounded, into `req.body` for the route's schema to check like a JSON body. An oversized file is a
 * 413 as soon as it passes the limit (the rest of the upload is not kept); anything malformed, a
 * second file or an unexpected one is a 400.
 */
export function multipartBody(spec: MultipartSpec): RequestHandler {
  return async (req, res, next) => {
    if (!req.is('multipart/form-data')) throw invalid('expected Content-Type multipart/form-data');
    if (Number(req.get('content-length')) > spec.maxBytes + ENVELOPE_BYTES) throw new PayloadTooLargeError(spec.maxBytes);
    try {
      req.body = await readForm(req, spec);
    } catch (err) {
      // Answer before the upload is over: discard the rest, and close the connection after the answer.
      req.unpipe();
      req.resume();
      res.setHeader('Connection', 'close');
      throw err;
    }
    next();
  };
}

/** The form's fields, and the file (as text) under its part name when one was sent. */
function readForm(req: Request, spec: MultipartSpec): Promise<Record<string, string>> {
  return new Promise((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({ headers: req.headers, limits: { fileSize: spec.maxBytes, files: 1, fields: MAX_FIELDS, fieldSize: MAX_FIELD_BYTES, parts: MAX_FIELDS + 1 } });
    } catch (err) {
      return reject(invalid((err as Error).message));
    }
    const fields: Record<string, string> = {};
    const chunks: Buffer[] = [];
    let fileSeen = false;
    let failure: Error | undefined;
    const fail = (err: Error) => { failure ??= err; reject(failure); };

    parser.on('field', (name, value, info) => {
      if (info.valueTruncated) return fail(invalid(`the field ${name.slice(0, 40)} is longer than ${MAX_FIELD_BYTES} bytes`));
      if (Object.hasOwn(fields, name) || name === spec.file) return fail(invalid(`the field ${name.slice(0, 40)} is given twice`));
      fields[name] = value;
    });
    parser.on('file', (name, stream) => {
      if (name !== spec.file) {
        stream.resume();
        return fail(invalid(`unexpected file part ${name.slice(0, 40)}: only ${spec.file} is accepted`));
      }
      fileSeen = true;
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('limit', () => fail(new PayloadTooLargeError(spec.maxBytes)));
    });
    for (const limit of ['partsLimit', 'filesLimit', 'fieldsLimit'] as const) parser.on(limit, () => fail(invalid(`too many parts (${limit})`)));
    parser.on('error', (err: Error) => fail(invalid(err.message)));
    req.on('aborted', () => fail(invalid('the upload was interrupted')));
    parser.on('close', () => {
      if (failure) return;
      if (!fileSeen) return resolve(fields);
      const text = decodeUtf8(Buffer.concat(chunks));
      if (text === undefined) return fail(invalid(`the ${spec.file} file is not UTF-8 text`));
      resolve({ ...fields, [spec.file]: text });
    });
    req.pipe(parser);
  });
}

function decodeUtf8(bytes: Buffer): string | undefined {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}
