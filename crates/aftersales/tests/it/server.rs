//! Starting and stopping `aftersales serve` processes.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use aftersales_testkit::eventually;

pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_aftersales")
}

pub fn temp_dir(name: &str) -> PathBuf {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos();
    let dir = std::env::temp_dir().join(format!("aftersales_bin_{name}_{}_{nanos}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A command for the binary with its data in `dir` and no configuration from outside.
pub fn command(dir: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(bin());
    c.args(args).current_dir(dir).env("AFTERSALES_DATA_DIR", dir.join("data")).env("RUST_LOG", "warn");
    for (k, _) in std::env::vars() {
        if k.starts_with("AFTERSALES_") && k != "AFTERSALES_TEST_POSTGRES_URL" {
            c.env_remove(k);
        }
    }
    c.env("AFTERSALES_DATA_DIR", dir.join("data"));
    c
}

pub fn run(dir: &Path, args: &[&str]) -> Output {
    command(dir, args).output().unwrap()
}

pub struct Server {
    pub child: Child,
    pub base: String,
}

impl Server {
    /// Starts `aftersales serve` and waits until `/healthz` answers.
    pub async fn start(dir: &Path, port: u16, demo: bool) -> Server {
        let mut c = command(dir, &["serve"]);
        c.env("AFTERSALES_LISTEN", format!("127.0.0.1:{port}"))
            .env("AFTERSALES_DEMO", if demo { "true" } else { "false" });
        Server::start_with(dir, port, c).await
    }

    /// Starts a prepared `aftersales serve` command listening on `port` (of every local
    /// address, the loopback one included) and waits until `/healthz` answers.
    pub async fn start_with(dir: &Path, port: u16, mut command: Command) -> Server {
        let log = std::fs::File::create(dir.join(format!("server-{port}.log"))).unwrap();
        let child = command.stdout(Stdio::from(log.try_clone().unwrap())).stderr(Stdio::from(log)).spawn().unwrap();
        let base = format!("http://127.0.0.1:{port}");
        let client = reqwest::Client::new();
        eventually(Duration::from_secs(120), "the server answering /healthz", async || {
            match client.get(format!("{base}/healthz")).send().await {
                Ok(r) if r.status().is_success() => Ok(()),
                _ => Err(std::fs::read_to_string(dir.join(format!("server-{port}.log"))).unwrap_or_default()),
            }
        })
        .await;
        Server { child, base }
    }

    /// What the server printed so far.
    pub fn log(&self, dir: &Path) -> String {
        let port = self.base.rsplit(':').next().unwrap();
        std::fs::read_to_string(dir.join(format!("server-{port}.log"))).unwrap_or_default()
    }

    pub fn kill9(mut self) {
        // SIGKILL: no shutdown hook runs, exactly like a crash or an OOM kill.
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    pub fn stop(mut self) {
        let _ = Command::new("kill").arg("-TERM").arg(self.child.id().to_string()).status();
        let _ = self.child.wait();
    }
}

/// A fresh schema of the test PostgreSQL server, and the URL that opens it.
pub struct PgSchema {
    pub url: String,
    name: String,
    admin: aftersales_storage::Store,
}

impl PgSchema {
    /// Drops the schema and everything in it (at the end of a test that passed).
    pub async fn drop_schema(self) {
        use aftersales_storage::Conn as _;
        self.admin.read().execute_unprepared(&format!("DROP SCHEMA {} CASCADE", self.name)).await.unwrap();
        self.admin.close().await.unwrap();
    }
}

/// A fresh schema named after `prefix`, or `None` (the test is skipped, saying so) when no
/// PostgreSQL server answers outside CI; in CI that fails the test.
pub async fn postgres_schema(prefix: &str) -> Option<PgSchema> {
    use aftersales_storage::Conn as _;
    let base = aftersales_testkit::postgres_url();
    let admin = match aftersales_storage::Store::connect(&base).await {
        Ok(s) => s,
        Err(e) => {
            if std::env::var("CI").is_ok_and(|v| v == "true") {
                panic!("PostgreSQL tests must run in CI but {base} is unreachable: {e}");
            }
            eprintln!("SKIPPED a PostgreSQL test ({prefix}): {base} unreachable ({e})");
            return None;
        }
    };
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos();
    let name = format!("{prefix}_{}_{nanos}", std::process::id());
    admin.read().execute_unprepared(&format!("CREATE SCHEMA {name}")).await.unwrap();
    let sep = if base.contains('?') { '&' } else { '?' };
    Some(PgSchema { url: format!("{base}{sep}options[search_path]={name}"), name, admin })
}

/// An administrator `admin` added with the command line, and a new API token of theirs.
pub fn admin_token(dir: &Path) -> String {
    let out = run(dir, &["user", "add", "--username", "admin", "--name", "管理员", "--role", "admin"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = run(dir, &["token", "create", "--username", "admin"]);
    let token = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    assert!(token.starts_with("as_"), "{token}");
    token
}

/// A customer and its contact made over the API; their ids.
pub async fn customer_and_contact(client: &reqwest::Client, base: &str, token: &str) -> (i64, i64) {
    let post = async |url: String, body: serde_json::Value| -> serde_json::Value {
        let r = client.post(url).bearer_auth(token).json(&body).send().await.unwrap();
        assert!(r.status().is_success(), "{}", r.status());
        r.json().await.unwrap()
    };
    let customer = post(
        format!("{base}/api/v1/customers"),
        serde_json::json!({"name": "苏州工业园区某制造公司", "short_name": "苏州制造", "region": "华东", "level": "B"}),
    )
    .await;
    let cid = customer["id"].as_i64().unwrap();
    let contact = post(
        format!("{base}/api/v1/customers/{cid}/contacts"),
        serde_json::json!({"name": "钱工", "phone": "13700000000"}),
    )
    .await;
    (cid, contact["id"].as_i64().unwrap())
}

/// Signs in through the form on `base`: the session cookie, or `None` when refused.
pub async fn sign_in(base: &str, username: &str, password: &str) -> Option<String> {
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let host = base.trim_start_matches("http://");
    let r = client
        .post(format!("{base}/login"))
        .header("origin", format!("http://{host}"))
        .form(&[("username", username), ("password", password)])
        .send()
        .await
        .unwrap();
    if r.status() != reqwest::StatusCode::SEE_OTHER {
        return None;
    }
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|c| c.split(';').next().filter(|kv| kv.starts_with("as_session=")).map(str::to_owned))
}

/// Asserts that every ticket of `numbers` is found by its number on `base`.
pub async fn assert_found<'a>(base: &str, token: &str, numbers: impl IntoIterator<Item = &'a String>, why: &str) {
    let client = reqwest::Client::new();
    for number in numbers {
        let r =
            client.get(format!("{base}/api/v1/tickets/by-number/{number}")).bearer_auth(token).send().await.unwrap();
        assert_eq!(r.status().as_u16(), 200, "acknowledged ticket {number} {why}");
    }
}
