//! Where files live (issue 12): a [`BlobStore`] keeps byte streams by the SHA-256 of their
//! content, on disk under the data directory ([`DiskStore`]) or in an S3-compatible bucket
//! that several instances share ([`S3Store`]). Content goes in and out as streams; a store
//! never holds a whole file in memory, refuses content over the caller's size limit, and
//! leaves nothing behind when it does. Evidence uploads (`app::attachments`) keep their files here.
//!
//! The same content is stored once: two uploads of one photo are one blob. Deleting a blob
//! therefore removes it for everyone who stored it; what refers to a blob is for the
//! caller to count.

use std::fmt;
use std::io;
use std::path::Path;
use std::sync::Arc;

use bytes::Bytes;
use futures_util::stream::BoxStream;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

mod disk;
mod s3;

pub use disk::DiskStore;
pub use s3::S3Store;

/// Content as a stream of chunks.
pub type ByteStream = BoxStream<'static, io::Result<Bytes>>;

/// A blob's name: the SHA-256 of its content, 64 lowercase hexadecimal digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BlobId(String);

impl BlobId {
    /// Parses a blob name; anything but 64 lowercase hex digits is refused (so a name can
    /// never reach outside the store's directory).
    pub fn parse(s: &str) -> Option<BlobId> {
        (s.len() == 64 && s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)))
            .then(|| BlobId(s.to_owned()))
    }

    /// The name of `content`.
    pub fn of(content: &[u8]) -> BlobId {
        BlobId(hex::encode(Sha256::digest(content)))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for BlobId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A stored blob: its name and size in bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Blob {
    pub id: BlobId,
    pub size: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    #[error("no blob {0}")]
    NotFound(BlobId),
    /// The content was longer than the limit; nothing was kept.
    #[error("the content is larger than {limit} bytes")]
    TooLarge { limit: u64 },
    /// The stream being stored failed (the upload broke off); nothing was kept.
    #[error("reading the content failed: {0}")]
    Source(io::Error),
    /// The disk or the bucket failed.
    #[error("file store: {0}")]
    Store(String),
}

/// Keeps blobs by the SHA-256 of their content.
#[async_trait::async_trait]
pub trait BlobStore: fmt::Debug + Send + Sync {
    /// Stores `content` unless it is longer than `limit` bytes (then nothing is kept and
    /// the answer is [`BlobError::TooLarge`]). Content stored before is not stored twice.
    async fn put(&self, content: ByteStream, limit: u64) -> Result<Blob, BlobError>;

    /// The content of blob `id`.
    async fn get(&self, id: &BlobId) -> Result<ByteStream, BlobError>;

    /// Blob `id`'s size, or [`BlobError::NotFound`].
    async fn head(&self, id: &BlobId) -> Result<Blob, BlobError>;

    /// Removes blob `id`; removing one that is not there does nothing.
    async fn delete(&self, id: &BlobId) -> Result<(), BlobError>;
}

/// Where files are kept.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    /// Under `data_dir/files` (one instance, or instances sharing that directory).
    #[default]
    Disk,
    /// In an S3-compatible bucket, which any number of instances share.
    S3,
}

/// The `[files]` section of the configuration.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FilesConfig {
    pub backend: Backend,
    pub bucket: Option<String>,
    /// The S3 endpoint (`https://s3.example.com`; default: AWS's for the region).
    pub endpoint: Option<String>,
    pub region: Option<String>,
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<String>,
}

impl fmt::Debug for FilesConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FilesConfig")
            .field("backend", &self.backend)
            .field("bucket", &self.bucket)
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &self.secret_access_key.as_ref().map(|_| "…"))
            .finish()
    }
}

impl FilesConfig {
    /// Checks the settings without connecting: S3 needs a bucket and an http(s) endpoint.
    pub fn check(&self) -> Result<(), String> {
        if self.backend == Backend::S3 {
            if self.bucket.as_deref().is_none_or(|b| b.trim().is_empty()) {
                return Err("files.bucket is required when files.backend = \"s3\"".into());
            }
            if let Some(e) = &self.endpoint
                && !(e.starts_with("http://") || e.starts_with("https://"))
            {
                return Err(format!("files.endpoint {e:?} must start with http:// or https://"));
            }
        }
        Ok(())
    }

    /// The store these settings choose (on disk: under `data_dir/files`).
    pub fn open(&self, data_dir: &Path) -> Result<Arc<dyn BlobStore>, BlobError> {
        self.check().map_err(BlobError::Store)?;
        Ok(match self.backend {
            Backend::Disk => Arc::new(DiskStore::new(data_dir.join("files"))),
            Backend::S3 => Arc::new(S3Store::new(self)?),
        })
    }
}

/// Counts and hashes content as it streams past, and stops it at the limit.
struct Intake {
    hasher: Sha256,
    size: u64,
    limit: u64,
}

impl Intake {
    fn new(limit: u64) -> Intake {
        Intake { hasher: Sha256::new(), size: 0, limit }
    }

    /// Takes in the next chunk, or refuses it when the content grows past the limit.
    fn take(&mut self, chunk: &[u8]) -> Result<(), BlobError> {
        self.size += chunk.len() as u64;
        if self.size > self.limit {
            return Err(BlobError::TooLarge { limit: self.limit });
        }
        self.hasher.update(chunk);
        Ok(())
    }

    fn finish(self) -> Blob {
        Blob { id: BlobId(hex::encode(self.hasher.finalize())), size: self.size }
    }
}

/// A name for an upload in progress.
fn temp_name() -> Result<String, BlobError> {
    use rand::TryRngCore;
    let mut buf = [0u8; 16];
    rand::rngs::OsRng.try_fill_bytes(&mut buf).map_err(|e| BlobError::Store(format!("random: {e}")))?;
    Ok(format!("{}.part", hex::encode(buf)))
}
