//! `aftersales backup FILE` and `aftersales restore FILE` (issue 18): a whole SQLite
//! installation in one tar file, taken while the server keeps serving, and put back into an
//! empty data directory.
//!
//! The archive holds, in this order:
//! - `manifest.json`: what it is, when it was taken, by which version, every table's row
//!   count, and the files it carries (and any the database names that were already gone);
//! - `aftersales.db`: one consistent snapshot of the database (`VACUUM INTO`: writers go on
//!   meanwhile, and every registration acknowledged before the backup began is in it);
//! - `files/<sha256>`: every file the snapshot refers to (photos, signed reports,
//!   subscription attachments), read from the configured file store, disk or S3.
//!
//! Files are content-addressed and never change, so those the snapshot refers to are the
//! right ones whenever they are read. A restore checks each file's content against its
//! name, the database with SQLite's integrity check, and every table's count against the
//! manifest, and only then moves the database into place: a damaged or partial archive
//! leaves the data directory as it was. PostgreSQL installations are backed up with
//! `pg_dump` (README).

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use aftersales_files::{BlobId, BlobStore};
use aftersales_storage::{Backend, Store, maintenance};
use anyhow::{Context, bail};
use bytes::Bytes;
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use tokio_util::io::{StreamReader, SyncIoBridge};

use crate::config::Config;

/// The archive's first entry.
const MANIFEST: &str = "manifest.json";
/// The database's entry.
const DATABASE: &str = "aftersales.db";
/// The folder of the files' entries.
const FILES: &str = "files/";
/// What `manifest.json` says it is.
const FORMAT: &str = "aftersales-backup";
const VERSION: u32 = 1;
/// A file in the archive larger than this is refused on restore (the largest upload any
/// setting allows is far below it).
const MAX_FILE: u64 = 64 << 30;

#[derive(Debug, Serialize, Deserialize)]
struct Manifest {
    format: String,
    version: u32,
    created_at: String,
    app_version: String,
    /// Rows per table in the snapshot.
    tables: std::collections::BTreeMap<String, i64>,
    /// The files carried, by SHA-256.
    files: Vec<String>,
    /// Files the snapshot refers to that the file store no longer had.
    missing_files: Vec<String>,
}

/// What a backup or restore did.
#[derive(Debug)]
pub struct Summary {
    pub tickets: i64,
    pub tables: usize,
    pub files: usize,
    pub missing_files: Vec<String>,
    pub bytes: u64,
}

/// A file beside `target` that is removed unless kept (a failed run leaves nothing).
struct Scratch(Option<PathBuf>);

impl Scratch {
    fn keep(mut self) {
        self.0 = None;
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if let Some(p) = self.0.take() {
            let _ = std::fs::remove_file(&p);
        }
    }
}

fn beside(target: &Path, suffix: &str) -> PathBuf {
    let mut name = target.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(format!(".{suffix}-{}", std::process::id()));
    target.with_file_name(name)
}

/// Writes the backup of `store` (SQLite) and the files it refers to into the new file `target`.
pub async fn backup(store: &Store, files: Arc<dyn BlobStore>, target: &Path) -> anyhow::Result<Summary> {
    if store.backend() != Backend::Sqlite {
        bail!(
            "aftersales backup copies the embedded SQLite database; back a PostgreSQL database up with pg_dump (see the README)"
        );
    }
    if target.exists() {
        bail!("{} already exists: a backup never overwrites a file; name a new one", target.display());
    }
    let parent = target.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    if !parent.is_dir() {
        bail!("{} is not a directory: the backup cannot be written there", parent.display());
    }
    let snapshot = beside(target, "db");
    let snapshot_guard = Scratch(Some(snapshot.clone()));
    let _ = std::fs::remove_file(&snapshot);
    store.snapshot_into(&snapshot).await.context("taking a snapshot of the database")?;

    // Everything below reads the snapshot, not the live database.
    let copy = Store::open_read_only(&snapshot).await.context("opening the snapshot")?;
    let problems = copy.integrity_problems().await?;
    if !problems.is_empty() {
        bail!("the database's snapshot failed SQLite's integrity check: {}", problems.join("; "));
    }
    let tables: std::collections::BTreeMap<String, i64> =
        maintenance::table_counts(copy.read()).await?.into_iter().collect();
    let referenced = maintenance::referenced_blobs(copy.read()).await?;
    copy.close().await?;

    let mut present = Vec::new();
    let mut missing_files = Vec::new();
    for id in referenced {
        let Some(blob) = BlobId::parse(&id) else {
            missing_files.push(id);
            continue;
        };
        match files.head(&blob).await {
            Ok(b) => present.push((blob, b.size)),
            Err(aftersales_files::BlobError::NotFound(_)) => missing_files.push(id),
            Err(e) => return Err(e).context("reading the file store"),
        }
    }
    let manifest = Manifest {
        format: FORMAT.into(),
        version: VERSION,
        created_at: jiff::Timestamp::now().to_string(),
        app_version: env!("CARGO_PKG_VERSION").into(),
        tables,
        files: present.iter().map(|(b, _)| b.to_string()).collect(),
        missing_files,
    };

    let partial = beside(target, "partial");
    let partial_guard = Scratch(Some(partial.clone()));
    let handle = tokio::runtime::Handle::current();
    let manifest_json = serde_json::to_vec_pretty(&manifest)?;
    let bytes = tokio::task::spawn_blocking({
        let (partial, snapshot) = (partial.clone(), snapshot.clone());
        move || -> anyhow::Result<u64> {
            let out = std::fs::File::create_new(&partial).with_context(|| format!("creating {}", partial.display()))?;
            let mut tar = tar::Builder::new(std::io::BufWriter::with_capacity(1 << 20, out));
            tar.mode(tar::HeaderMode::Deterministic);
            append(&mut tar, MANIFEST, manifest_json.len() as u64, &manifest_json[..])?;
            let db = std::fs::File::open(&snapshot)?;
            append(&mut tar, DATABASE, db.metadata()?.len(), db)?;
            for (blob, size) in &present {
                let stream = handle.block_on(files.get(blob)).with_context(|| format!("reading file {blob}"))?;
                let reader = SyncIoBridge::new_with_handle(StreamReader::new(stream), handle.clone());
                append(&mut tar, &format!("{FILES}{blob}"), *size, reader.take(*size))
                    .with_context(|| format!("copying file {blob}"))?;
            }
            let out = tar.into_inner()?.into_inner().map_err(|e| e.into_error())?;
            out.sync_all()?;
            Ok(out.metadata()?.len())
        }
    })
    .await??;
    std::fs::rename(&partial, target).with_context(|| format!("moving the backup to {}", target.display()))?;
    partial_guard.keep();
    drop(snapshot_guard);
    Ok(Summary {
        tickets: manifest.tables.get("tickets").copied().unwrap_or(0),
        tables: manifest.tables.len(),
        files: manifest.files.len(),
        missing_files: manifest.missing_files,
        bytes,
    })
}

fn append<W: Write>(tar: &mut tar::Builder<W>, name: &str, size: u64, data: impl Read) -> anyhow::Result<()> {
    let mut header = tar::Header::new_gnu();
    header.set_size(size);
    header.set_mode(0o600);
    header.set_entry_type(tar::EntryType::Regular);
    let mut counted = Counted { inner: data, n: 0 };
    tar.append_data(&mut header, name, &mut counted)?;
    if counted.n != size {
        bail!("{name} changed while it was copied ({} bytes instead of {size})", counted.n);
    }
    Ok(())
}

/// Counts what passes through a reader (a file that shrank while copied is caught).
struct Counted<R> {
    inner: R,
    n: u64,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.n += n as u64;
        Ok(n)
    }
}

/// The SQLite database file `config` names (restore writes only that).
pub fn sqlite_file(config: &Config) -> anyhow::Result<PathBuf> {
    let url = config.database_url()?;
    let Some(rest) = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")) else {
        bail!(
            "database_url names PostgreSQL: aftersales restore writes the embedded SQLite database; restore a PostgreSQL backup with pg_restore (see the README)"
        );
    };
    let path = rest.split('?').next().unwrap_or_default();
    if path.is_empty() || path == ":memory:" {
        bail!("database_url names no database file to restore into");
    }
    Ok(PathBuf::from(path))
}

/// Puts the backup `source` back: the database where `config` keeps it (which must not
/// exist yet), the files into the configured file store.
pub async fn restore(config: &Config, files: Arc<dyn BlobStore>, source: &Path) -> anyhow::Result<Summary> {
    let result = restore_checked(config, files, source).await;
    if let Err(Refusal::After(_)) = &result
        && config.files.backend == aftersales_files::Backend::Disk
    {
        // The files directory was empty when the restore began: what it holds now came
        // from this backup, and goes with it.
        let _ = std::fs::remove_dir_all(config.data_dir.join("files"));
    }
    result.map_err(|(Refusal::Before(e) | Refusal::After(e))| e)
}

/// Why a restore stopped: before it wrote anything, or after it began storing files.
enum Refusal {
    Before(anyhow::Error),
    After(anyhow::Error),
}

async fn restore_checked(config: &Config, files: Arc<dyn BlobStore>, source: &Path) -> Result<Summary, Refusal> {
    preflight(config).map_err(Refusal::Before)?;
    unpack(config, files, source).await.map_err(Refusal::After)
}

/// Refuses a data directory that already holds a database or files.
fn preflight(config: &Config) -> anyhow::Result<()> {
    let db_path = sqlite_file(config)?;
    for p in [db_path.clone(), wal(&db_path, "-wal")] {
        if p.exists() {
            bail!(
                "{} already exists: restore only into an empty data directory (move the old one aside first)",
                p.display()
            );
        }
    }
    if config.files.backend == aftersales_files::Backend::Disk {
        let dir = config.data_dir.join("files");
        if std::fs::read_dir(&dir).map(|mut d| d.next().is_some()).unwrap_or(false) {
            bail!("{} is not empty: restore only into an empty data directory", dir.display());
        }
    }
    Ok(())
}

async fn unpack(config: &Config, files: Arc<dyn BlobStore>, source: &Path) -> anyhow::Result<Summary> {
    let db_path = sqlite_file(config)?;
    if let Some(parent) = db_path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let staged = beside(&db_path, "restoring");
    let staged_guard = Scratch(Some(staged.clone()));
    let handle = tokio::runtime::Handle::current();
    let source_path = source.to_path_buf();
    let (manifest, restored) = tokio::task::spawn_blocking({
        let staged = staged.clone();
        move || -> anyhow::Result<(Manifest, Vec<String>)> {
            let file =
                std::fs::File::open(&source_path).with_context(|| format!("opening {}", source_path.display()))?;
            let mut archive = tar::Archive::new(std::io::BufReader::with_capacity(1 << 20, file));
            let mut manifest: Option<Manifest> = None;
            let mut database = false;
            let mut restored = Vec::new();
            for entry in archive.entries().context("reading the backup")? {
                let mut entry = entry.context("reading the backup (damaged or not a backup file)")?;
                let name = entry.path()?.to_string_lossy().into_owned();
                let size = entry.header().size()?;
                if manifest.is_none() && name != MANIFEST {
                    bail!("{} is not an aftersales backup: it does not begin with {MANIFEST}", source_path.display());
                }
                if name == MANIFEST {
                    if size > 64 << 20 {
                        bail!("{MANIFEST} is {size} bytes: not an aftersales backup");
                    }
                    let mut text = Vec::new();
                    entry.read_to_end(&mut text)?;
                    let m: Manifest = serde_json::from_slice(&text).context("reading manifest.json")?;
                    if m.format != FORMAT {
                        bail!("{} is not an aftersales backup (format {:?})", source_path.display(), m.format);
                    }
                    if m.version != VERSION {
                        bail!("the backup's format version {} is not one this aftersales reads ({VERSION})", m.version);
                    }
                    manifest = Some(m);
                } else if name == DATABASE {
                    if database {
                        bail!("the backup holds the database twice: it is not one aftersales wrote");
                    }
                    let mut out = std::fs::File::create_new(&staged)?;
                    let n = std::io::copy(&mut entry, &mut out)?;
                    if n != size {
                        bail!("the backup's database is cut short ({n} of {size} bytes)");
                    }
                    out.sync_all()?;
                    database = true;
                } else if let Some(id) = name.strip_prefix(FILES) {
                    let Some(id) = BlobId::parse(id) else { bail!("the backup holds an unexpected entry {name:?}") };
                    if size > MAX_FILE {
                        bail!("file {id} in the backup is {size} bytes: refused");
                    }
                    let stored = put(&handle, &files, &mut entry, size)?;
                    if stored != id {
                        bail!("file {id} in the backup is damaged (its content is {stored})");
                    }
                    restored.push(id.to_string());
                } else {
                    bail!("the backup holds an unexpected entry {name:?}");
                }
            }
            let manifest =
                manifest.with_context(|| format!("{} is empty: not an aftersales backup", source_path.display()))?;
            if !database {
                bail!("the backup holds no database: it is incomplete");
            }
            Ok((manifest, restored))
        }
    })
    .await??;
    let mut expected = manifest.files.clone();
    expected.sort();
    let mut got = restored;
    got.sort();
    if expected != got {
        let lost: Vec<_> = expected.iter().filter(|f| got.binary_search(f).is_err()).collect();
        bail!(
            "the backup lacks {} of the files its manifest lists (first: {:?}): it is incomplete",
            lost.len(),
            lost.first()
        );
    }

    let copy = Store::open_read_only(&staged).await.context("opening the restored database")?;
    let problems = copy.integrity_problems().await?;
    let counts: std::collections::BTreeMap<String, i64> =
        maintenance::table_counts(copy.read()).await?.into_iter().collect();
    copy.close().await?;
    if !problems.is_empty() {
        bail!("the backup's database failed SQLite's integrity check: {}", problems.join("; "));
    }
    if counts != manifest.tables {
        let differing: Vec<String> = manifest
            .tables
            .iter()
            .filter(|(t, n)| counts.get(*t) != Some(n))
            .map(|(t, n)| format!("{t}: {n} in the manifest, {} in the database", counts.get(t).copied().unwrap_or(0)))
            .collect();
        bail!("the backup's database does not match its manifest ({})", differing.join("; "));
    }
    if db_path.exists() {
        bail!("{} appeared while restoring: nothing was replaced", db_path.display());
    }
    std::fs::rename(&staged, &db_path).with_context(|| format!("moving the database to {}", db_path.display()))?;
    staged_guard.keep();
    Ok(Summary {
        tickets: counts.get("tickets").copied().unwrap_or(0),
        tables: counts.len(),
        files: got.len(),
        missing_files: manifest.missing_files,
        bytes: std::fs::metadata(&db_path)?.len(),
    })
}

fn wal(db: &Path, suffix: &str) -> PathBuf {
    let mut name = db.as_os_str().to_os_string();
    name.push(suffix);
    PathBuf::from(name)
}

/// Stores `size` bytes of `entry` in the file store from a blocking thread; the store's
/// own name for the content (its SHA-256).
fn put(
    handle: &tokio::runtime::Handle,
    files: &Arc<dyn BlobStore>,
    entry: &mut impl Read,
    size: u64,
) -> anyhow::Result<BlobId> {
    let (tx, rx) = tokio::sync::mpsc::channel::<std::io::Result<Bytes>>(4);
    let store = files.clone();
    let stream = futures_util::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|c| (c, rx)) }).boxed();
    let task = handle.spawn(async move { store.put(stream, size).await });
    let mut left = size;
    let mut buf = vec![0u8; 256 * 1024];
    while left > 0 {
        let want = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
        let n = entry.read(&mut buf[..want])?;
        if n == 0 {
            bail!("the backup is cut short inside a file");
        }
        left -= n as u64;
        if tx.blocking_send(Ok(Bytes::copy_from_slice(&buf[..n]))).is_err() {
            break;
        }
    }
    drop(tx);
    let blob = handle.block_on(task)?.context("storing a file")?;
    Ok(blob.id)
}

/// `aftersales copy-to postgres://…`: a snapshot of this SQLite installation copied into an
/// empty PostgreSQL database, every table's rows counted on both sides (see
/// `storage::copy`). The files stay in the configured file store.
pub async fn copy_to(config: &Config, url: &str) -> anyhow::Result<()> {
    if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
        bail!(
            "copy-to takes a PostgreSQL URL such as postgres://user:password@host/database, not {:?}",
            crate::redact(url)
        );
    }
    let db_path = sqlite_file(config).context("copy-to copies the embedded SQLite database")?;
    if !db_path.exists() {
        bail!("there is no database at {} to copy", db_path.display());
    }
    let source = Store::connect(&config.database_url()?).await.context("opening the SQLite database")?;
    source.migrate().await.context("migrating the SQLite database")?;
    let target = Store::connect(url).await.with_context(|| format!("connecting to {}", crate::redact(url)))?;
    // Before anything is created there: a wrong URL is left as it was.
    aftersales_storage::copy::check_unused(&target).await?;
    target.migrate().await.context("creating the schema in PostgreSQL")?;
    let snapshot = beside(&db_path, "copy");
    let _guard = Scratch(Some(snapshot.clone()));
    let _ = std::fs::remove_file(&snapshot);
    source.snapshot_into(&snapshot).await.context("taking a snapshot of the SQLite database")?;
    source.close().await?;
    let copy = Store::open_read_only(&snapshot).await?;
    let copied = aftersales_storage::copy::sqlite_to_postgres(&copy, &target, |table, rows| {
        println!("  {table}: {rows} rows");
    })
    .await
    .context("copying into PostgreSQL (no rows were kept there; the empty schema stays)")?;
    copy.close().await?;
    target.close().await?;
    let rows: i64 = copied.tables.values().sum();
    println!(
        "copied {} tables ({rows} rows, {} tickets) into {}; every table's count matches",
        copied.tables.len(),
        copied.tables.get("tickets").copied().unwrap_or(0),
        crate::redact(url)
    );
    match config.files.backend {
        aftersales_files::Backend::Disk => println!(
            "The files stay in {}: keep that directory beside the service, or for several instances move them to an S3 bucket ([files] backend = \"s3\").",
            config.data_dir.join("files").display()
        ),
        aftersales_files::Backend::S3 => {
            println!("The files stay in the S3 bucket {}.", config.files.bucket.as_deref().unwrap_or(""))
        }
    }
    println!("Next: set database_url to that database (AFTERSALES_DATABASE_URL) and start the service.");
    Ok(())
}
