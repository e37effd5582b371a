//! Blobs in an S3-compatible bucket (the `s3` backend; `object_store`): `blobs/<sha256>`.
//! An upload streams to `tmp/<random>.part` as a multipart upload (parts of 5 MiB, at most
//! two in flight, so memory holds a few parts, never the file), is named once its content
//! is known, by a server-side copy, and the temporary object is removed. Any number of
//! instances share the bucket.

use futures_util::StreamExt;
use object_store::aws::{AmazonS3, AmazonS3Builder};
use object_store::path::Path;
use object_store::{ObjectStore, WriteMultipart};

use crate::{Blob, BlobError, BlobId, BlobStore, ByteStream, FilesConfig, Intake, temp_name};

/// Parts uploaded at the same time.
const IN_FLIGHT: usize = 2;

#[derive(Debug)]
pub struct S3Store {
    bucket: AmazonS3,
}

fn store_error(e: object_store::Error) -> BlobError {
    BlobError::Store(e.to_string())
}

impl S3Store {
    /// A store on the bucket `config` names. Credentials left out are read from the usual
    /// `AWS_*` environment variables.
    pub fn new(config: &FilesConfig) -> Result<S3Store, BlobError> {
        let mut b = AmazonS3Builder::from_env().with_bucket_name(config.bucket.clone().unwrap_or_default());
        if let Some(r) = &config.region {
            b = b.with_region(r);
        }
        if let Some(e) = &config.endpoint {
            // A self-hosted server (MinIO, Ceph, …) is addressed by path, often over plain
            // HTTP on a private network.
            b = b.with_endpoint(e).with_allow_http(e.starts_with("http://")).with_virtual_hosted_style_request(false);
        }
        if let Some(k) = &config.access_key_id {
            b = b.with_access_key_id(k);
        }
        if let Some(s) = &config.secret_access_key {
            b = b.with_secret_access_key(s);
        }
        Ok(S3Store { bucket: b.build().map_err(store_error)? })
    }

    fn path(id: &BlobId) -> Path {
        Path::from(format!("blobs/{id}"))
    }

    async fn upload(&self, tmp: &Path, mut content: ByteStream, limit: u64) -> Result<Blob, BlobError> {
        let mut upload = WriteMultipart::new(self.bucket.put_multipart(tmp).await.map_err(store_error)?);
        let mut intake = Intake::new(limit);
        let written: Result<(), BlobError> = async {
            while let Some(chunk) = content.next().await {
                let chunk = chunk.map_err(BlobError::Source)?;
                intake.take(&chunk)?;
                upload.wait_for_capacity(IN_FLIGHT).await.map_err(store_error)?;
                upload.put(chunk);
            }
            Ok(())
        }
        .await;
        if let Err(e) = written {
            if let Err(abort) = upload.abort().await {
                tracing::warn!(error = %abort, "an unfinished upload could not be aborted");
            }
            return Err(e);
        }
        upload.finish().await.map_err(store_error)?;
        Ok(intake.finish())
    }
}

#[async_trait::async_trait]
impl BlobStore for S3Store {
    async fn put(&self, content: ByteStream, limit: u64) -> Result<Blob, BlobError> {
        let tmp = Path::from(format!("tmp/{}", temp_name()?));
        let blob = self.upload(&tmp, content, limit).await?;
        let stored = match self.bucket.head(&S3Store::path(&blob.id)).await {
            Ok(_) => Ok(()),
            Err(object_store::Error::NotFound { .. }) => {
                self.bucket.copy(&tmp, &S3Store::path(&blob.id)).await.map_err(store_error)
            }
            Err(e) => Err(store_error(e)),
        };
        if let Err(e) = self.bucket.delete(&tmp).await {
            tracing::warn!(path = %tmp, error = %e, "a finished upload's temporary object could not be removed");
        }
        stored.map(|()| blob)
    }

    async fn get(&self, id: &BlobId) -> Result<ByteStream, BlobError> {
        match self.bucket.get(&S3Store::path(id)).await {
            Ok(r) => Ok(r.into_stream().map(|c| c.map_err(std::io::Error::other)).boxed()),
            Err(object_store::Error::NotFound { .. }) => Err(BlobError::NotFound(id.clone())),
            Err(e) => Err(store_error(e)),
        }
    }

    async fn head(&self, id: &BlobId) -> Result<Blob, BlobError> {
        match self.bucket.head(&S3Store::path(id)).await {
            Ok(m) => Ok(Blob { id: id.clone(), size: m.size }),
            Err(object_store::Error::NotFound { .. }) => Err(BlobError::NotFound(id.clone())),
            Err(e) => Err(store_error(e)),
        }
    }

    async fn delete(&self, id: &BlobId) -> Result<(), BlobError> {
        match self.bucket.delete(&S3Store::path(id)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(store_error(e)),
        }
    }
}
