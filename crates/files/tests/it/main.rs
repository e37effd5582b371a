//! The blob stores against a real directory and a real S3-compatible server.
#![allow(clippy::unwrap_used)]

mod disk;
mod s3;

use aftersales_files::{Blob, BlobError, BlobId, BlobStore, ByteStream};
use futures_util::StreamExt;

/// `content` as a stream of chunks of `chunk` bytes.
pub fn stream(content: &[u8], chunk: usize) -> ByteStream {
    let chunks: Vec<std::io::Result<bytes::Bytes>> =
        content.chunks(chunk.max(1)).map(|c| Ok(bytes::Bytes::copy_from_slice(c))).collect();
    futures_util::stream::iter(chunks).boxed()
}

pub async fn read_all(store: &dyn BlobStore, id: &BlobId) -> Vec<u8> {
    let mut s = store.get(id).await.expect("get");
    let mut out = Vec::new();
    while let Some(c) = s.next().await {
        out.extend_from_slice(&c.expect("chunk"));
    }
    out
}

/// What every store must do, whatever it keeps blobs in: round trip, the same content
/// once, a missing blob named as missing, and deletion.
pub async fn behaves_as_a_blob_store(store: &dyn BlobStore) {
    let photo: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    let blob = store.put(stream(&photo, 64 * 1024), 1 << 20).await.expect("put");
    assert_eq!(blob, Blob { id: BlobId::of(&photo), size: photo.len() as u64 });
    assert_eq!(read_all(store, &blob.id).await, photo);
    assert_eq!(store.head(&blob.id).await.expect("head"), blob);

    // The same content, cut differently, is the same blob.
    let again = store.put(stream(&photo, 1000), 1 << 20).await.expect("put again");
    assert_eq!(again, blob);

    let missing = BlobId::of(b"never stored");
    assert!(matches!(store.head(&missing).await, Err(BlobError::NotFound(id)) if id == missing));
    assert!(matches!(store.get(&missing).await, Err(BlobError::NotFound(_))));

    store.delete(&blob.id).await.expect("delete");
    assert!(matches!(store.head(&blob.id).await, Err(BlobError::NotFound(_))));
    store.delete(&blob.id).await.expect("deleting what is gone does nothing");
}
