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
