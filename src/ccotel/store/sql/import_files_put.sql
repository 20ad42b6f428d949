-- Record where files' imports stopped (rows registered as `import_files_batch`).
INSERT OR REPLACE INTO import_files BY NAME
SELECT path, size, mtime, offset_bytes, head_hash FROM import_files_batch
