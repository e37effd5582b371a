//! The S3 store against moto's S3 server (PyPI `moto[server]`, installed by `.ci/run` in a
//! venv under ~/.cache), started here on a free port. Without it the test says SKIPPED, or
//! fails when `CI=true`.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use aftersales_files::{Backend, BlobError, BlobId, BlobStore, FilesConfig, S3Store};

use crate::{behaves_as_a_blob_store, read_all, stream};

/// The moto server executable: `TEST_MOTO_SERVER`, else the venv `.ci/run` makes.
fn moto_server() -> Option<PathBuf> {
    let path = match std::env::var_os("TEST_MOTO_SERVER") {
        Some(p) => PathBuf::from(p),
        None => PathBuf::from(std::env::var_os("HOME")?).join(".cache/aftersales-moto/bin/moto_server"),
    };
    path.is_file().then_some(path)
}

/// A running moto server, stopped when dropped.
struct Moto {
    child: Child,
    url: String,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn start_moto() -> Option<Moto> {
    let Some(bin) = moto_server() else {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("moto_server not found (TEST_MOTO_SERVER or ~/.cache/aftersales-moto): the S3 tests cannot run");
        }
        eprintln!("SKIPPED: the S3 store tests need moto's server; set TEST_MOTO_SERVER or run .ci/run once");
        return None;
    };
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let child = Command::new(bin)
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("starting moto_server");
    let moto = Moto { child, url: format!("http://127.0.0.1:{port}") };
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if client.get(&moto.url).send().await.is_ok_and(|r| r.status().is_success()) {
            return Some(moto);
        }
        assert!(Instant::now() < deadline, "moto_server did not answer on {} within 30 s", moto.url);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn config(moto: &Moto, bucket: &str) -> FilesConfig {
    FilesConfig {
        backend: Backend::S3,
        bucket: Some(bucket.into()),
        endpoint: Some(moto.url.clone()),
        region: Some("us-east-1".into()),
        access_key_id: Some("testing".into()),
        secret_access_key: Some("testing".into()),
    }
}

/// The keys in `bucket` (moto answers an unsigned ListObjectsV2).
async fn keys(moto: &Moto, bucket: &str) -> Vec<String> {
    let xml = reqwest::get(format!("{}/{bucket}?list-type=2", moto.url)).await.unwrap().text().await.unwrap();
    xml.split("<Key>").skip(1).filter_map(|s| s.split("</Key>").next()).map(str::to_owned).collect()
}

#[tokio::test]
async fn the_s3_store_is_shared_by_instances_and_refuses_what_is_too_large() {
    let Some(moto) = start_moto().await else { return };
    let bucket = "aftersales-files";
    let made = reqwest::Client::new().put(format!("{}/{bucket}", moto.url)).send().await.unwrap();
    assert!(made.status().is_success(), "creating the bucket: {}", made.status());

    let one = S3Store::new(&config(&moto, bucket)).unwrap();
    behaves_as_a_blob_store(&one).await;

    // A second instance sees what the first stored; content larger than a part (5 MiB)
    // goes up in several parts.
    let two = config(&moto, bucket).open(std::path::Path::new("unused")).unwrap();
    let big: Vec<u8> = (0..6_000_000u32).map(|i| (i % 253) as u8).collect();
    let blob = one.put(stream(&big, 256 * 1024), 10_000_000).await.unwrap();
    assert_eq!(two.head(&blob.id).await.unwrap().size, big.len() as u64);
    assert_eq!(read_all(two.as_ref(), &blob.id).await, big);
    assert_eq!(keys(&moto, bucket).await, vec![format!("blobs/{}", blob.id)], "one object, no upload left");

    let e = two.put(stream(&big, 256 * 1024), 5_999_999).await.unwrap_err();
    assert!(matches!(e, BlobError::TooLarge { limit: 5_999_999 }), "{e}");
    let small = vec![1u8; 100];
    let e = two.put(stream(&small, 10), 99).await.unwrap_err();
    assert!(matches!(e, BlobError::TooLarge { .. }), "{e}");
    assert!(matches!(one.head(&BlobId::of(&small)).await, Err(BlobError::NotFound(_))));
    assert_eq!(keys(&moto, bucket).await, vec![format!("blobs/{}", blob.id)], "nothing left of refused uploads");
}
