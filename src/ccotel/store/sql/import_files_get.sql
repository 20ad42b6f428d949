-- Where each transcript file's last import stopped.
SELECT path, size, mtime, offset_bytes, head_hash FROM import_files
