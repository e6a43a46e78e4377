import mongoose, { type Connection, type Types } from 'mongoose';

export type ExportFileRepository = ReturnType<typeof createExportFileRepository>;

const BUCKET = 'export_files';

/**
 * Export files live in MongoDB (GridFS, bucket `export_files`), not on one instance's disk, so
 * whichever instance ran the export, any instance can serve the download. GridFS writes a file as
 * 255 kB chunks as it streams in, which keeps the writer's memory flat. Each file carries its
 * expiry in `metadata.expire_at`; a sweep deletes expired files (GridFS has no TTL of its own).
 */
export function createExportFileRepository(connection: Connection) {
  const db = connection.db;
  if (!db) throw new Error('createExportFileRepository needs a connected database');
  const bucket = new mongoose.mongo.GridFSBucket(db, { bucketName: BUCKET });
  const files = db.collection(`${BUCKET}.files`);
  const chunks = db.collection(`${BUCKET}.chunks`);

  async function remove(fileId: Types.ObjectId): Promise<void> {
    // Chunks first: a file document without chunks would look whole to a reader.
    await chunks.deleteMany({ files_id: fileId });
    await files.deleteOne({ _id: fileId });
  }

  return {
    /** The file appears (its files document is written) only once the stream has ended. */
    openUpload(fileId: Types.ObjectId, filename: string, expireAt: Date) {
      return bucket.openUploadStreamWithId(fileId, filename, { metadata: { expire_at: expireAt } });
    },

    async setExpiry(fileId: Types.ObjectId, expireAt: Date): Promise<void> {
      await files.updateOne({ _id: fileId }, { $set: { 'metadata.expire_at': expireAt } });
    },

    /** The file's size, or undefined when it is gone or expired. */
    async length(fileId: Types.ObjectId, now = new Date()): Promise<number | undefined> {
      const file = await files.findOne({ _id: fileId, 'metadata.expire_at': { $gt: now } }, { projection: { length: 1 } });
      return file ? Number(file.length) : undefined;
    },

    openDownload: (fileId: Types.ObjectId) => bucket.openDownloadStream(fileId),

    remove,

    async removeExpired(now = new Date()): Promise<number> {
      const expired = await files.find({ 'metadata.expire_at': { $lt: now } }, { projection: { _id: 1 } }).toArray();
      for (const { _id } of expired) await remove(_id as Types.ObjectId);
      return expired.length;
    },
  };
}
