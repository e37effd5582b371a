//! Blobs as files under a directory: `ab/cd/abcd…` (the first two pairs of hex digits fan
//! the names out over directories), uploads in progress under `tmp/`, renamed into place
//! once complete, so a reader never sees half a file.

use std::io;
use std::path::{Path, PathBuf};

use futures_util::StreamExt;
use tokio::io::AsyncWriteExt;

use crate::{Blob, BlobError, BlobId, BlobStore, ByteStream, Intake, temp_name};

/// Blobs on the local disk (the `disk` backend).
#[derive(Debug, Clone)]
pub struct DiskStore {
    root: PathBuf,
}

/// Removes an upload's temporary file unless it was moved into place, also when the
/// upload is abandoned half-way (its future dropped).
struct TempFile(Option<PathBuf>);

impl Drop for TempFile {
    fn drop(&mut self) {
        if let Some(p) = self.0.take()
            && let Err(e) = std::fs::remove_file(&p)
            && e.kind() != io::ErrorKind::NotFound
        {
            tracing::warn!(path = %p.display(), error = %e, "an unfinished upload could not be removed");
        }
    }
}

fn store_error(what: &str, path: &Path, e: io::Error) -> BlobError {
    BlobError::Store(format!("{what} {}: {e}", path.display()))
}

impl DiskStore {
    pub fn new(root: impl Into<PathBuf>) -> DiskStore {
        DiskStore { root: root.into() }
    }

    fn path(&self, id: &BlobId) -> PathBuf {
        let s = id.as_str();
        self.root.join(&s[0..2]).join(&s[2..4]).join(s)
    }

    /// Writes `content` to `file`, counting and hashing it.
    async fn write(
        file: &mut tokio::fs::File,
        path: &Path,
        mut content: ByteStream,
        limit: u64,
    ) -> Result<Blob, BlobError> {
        let mut intake = Intake::new(limit);
        while let Some(chunk) = content.next().await {
            let chunk = chunk.map_err(BlobError::Source)?;
            intake.take(&chunk)?;
            file.write_all(&chunk).await.map_err(|e| store_error("writing", path, e))?;
        }
        file.sync_all().await.map_err(|e| store_error("syncing", path, e))?;
        Ok(intake.finish())
    }
}

#[async_trait::async_trait]
impl BlobStore for DiskStore {
    async fn put(&self, content: ByteStream, limit: u64) -> Result<Blob, BlobError> {
        let tmp_dir = self.root.join("tmp");
        tokio::fs::create_dir_all(&tmp_dir).await.map_err(|e| store_error("creating", &tmp_dir, e))?;
        let tmp = tmp_dir.join(temp_name()?);
        let mut file = tokio::fs::File::create_new(&tmp).await.map_err(|e| store_error("creating", &tmp, e))?;
        let mut guard = TempFile(Some(tmp.clone()));
        let blob = DiskStore::write(&mut file, &tmp, content, limit).await?;
        drop(file);
        let path = self.path(&blob.id);
        if tokio::fs::try_exists(&path).await.map_err(|e| store_error("reading", &path, e))? {
            // Stored before: the temporary copy goes (by the guard).
            return Ok(blob);
        }
        if let Some(dir) = path.parent() {
            tokio::fs::create_dir_all(dir).await.map_err(|e| store_error("creating", dir, e))?;
        }
        tokio::fs::rename(&tmp, &path).await.map_err(|e| store_error("storing", &path, e))?;
        guard.0 = None;
        Ok(blob)
    }

    async fn get(&self, id: &BlobId) -> Result<ByteStream, BlobError> {
        let path = self.path(id);
        match tokio::fs::File::open(&path).await {
            Ok(f) => Ok(tokio_util::io::ReaderStream::new(f).boxed()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Err(BlobError::NotFound(id.clone())),
            Err(e) => Err(store_error("opening", &path, e)),
        }
    }

    async fn head(&self, id: &BlobId) -> Result<Blob, BlobError> {
        let path = self.path(id);
        match tokio::fs::metadata(&path).await {
            Ok(m) => Ok(Blob { id: id.clone(), size: m.len() }),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Err(BlobError::NotFound(id.clone())),
            Err(e) => Err(store_error("reading", &path, e)),
        }
    }

    async fn delete(&self, id: &BlobId) -> Result<(), BlobError> {
        let path = self.path(id);
        match tokio::fs::remove_file(&path).await {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(store_error("removing", &path, e)),
        }
    }
}
