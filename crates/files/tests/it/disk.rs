use aftersales_files::{BlobError, BlobId, BlobStore, DiskStore};

use crate::{behaves_as_a_blob_store, stream};

/// Every file under `dir`, recursively.
fn files_under(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() { out.extend(files_under(&p)) } else { out.push(p) }
    }
    out
}

#[tokio::test]
async fn the_disk_store_keeps_blobs_by_their_content() {
    let dir = tempfile::tempdir().unwrap();
    let store = DiskStore::new(dir.path().join("files"));
    behaves_as_a_blob_store(&store).await;

    let a = store.put(stream(b"report A", 3), 100).await.unwrap();
    store.put(stream(b"report A", 5), 100).await.unwrap();
    let b = store.put(stream(b"report B", 3), 100).await.unwrap();
    // Stored once each, named by their SHA-256, and no upload left behind.
    let mut names: Vec<String> =
        files_under(dir.path()).iter().map(|p| p.file_name().unwrap().to_string_lossy().into_owned()).collect();
    names.sort();
    let mut expected = vec![a.id.to_string(), b.id.to_string()];
    expected.sort();
    assert_eq!(names, expected);
    // The SHA-256 of "report A", fanned out by its first two pairs of digits.
    assert_eq!(a.id, BlobId::of(b"report A"));
    let s = a.id.as_str();
    assert!(dir.path().join("files").join(&s[..2]).join(&s[2..4]).join(s).is_file());
}

#[tokio::test]
async fn content_over_the_limit_is_refused_and_nothing_is_left() {
    let dir = tempfile::tempdir().unwrap();
    let store = DiskStore::new(dir.path().join("files"));
    let big = vec![7u8; 10_001];
    let e = store.put(stream(&big, 1000), 10_000).await.unwrap_err();
    assert!(matches!(e, BlobError::TooLarge { limit: 10_000 }), "{e}");
    assert!(files_under(dir.path()).is_empty(), "{:?}", files_under(dir.path()));
    assert!(matches!(store.head(&BlobId::of(&big)).await, Err(BlobError::NotFound(_))));
    // Exactly the limit is fine.
    let ok = store.put(stream(&big[..10_000], 1000), 10_000).await.unwrap();
    assert_eq!(ok.size, 10_000);
}

#[tokio::test]
async fn a_broken_upload_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = DiskStore::new(dir.path().join("files"));
    let chunks: Vec<std::io::Result<bytes::Bytes>> =
        vec![Ok(bytes::Bytes::from_static(b"half a photo")), Err(std::io::Error::other("connection reset"))];
    let e = store.put(Box::pin(futures_util::stream::iter(chunks)), 1000).await.unwrap_err();
    assert!(matches!(e, BlobError::Source(_)), "{e}");
    assert!(files_under(dir.path()).is_empty());
}

#[test]
fn a_blob_name_is_64_hex_digits_and_nothing_else() {
    assert!(BlobId::parse(&"a".repeat(64)).is_some());
    for bad in ["../../etc/passwd", "", &"A".repeat(64), &"a".repeat(63), &format!("{}/", "a".repeat(63))] {
        assert!(BlobId::parse(bad).is_none(), "{bad}");
    }
}
