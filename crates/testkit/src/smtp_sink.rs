//! A small SMTP server on 127.0.0.1 that records what it receives: in plain text, with
//! STARTTLS offered, or in TLS from the first byte, with a certificate for `localhost` and
//! `127.0.0.1` signed by the test CA of `certs/` (see [`TEST_CA`]).

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

/// The test CA that signed the sink's certificate (PEM file path): a relay's "company CA".
pub const TEST_CA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/certs/ca.pem");
const SERVER_CERT: &[u8] = include_bytes!("../certs/server.pem");
const SERVER_KEY: &[u8] = include_bytes!("../certs/server.key");

/// How the sink speaks TLS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SinkTls {
    /// Plain text only.
    None,
    /// Offers STARTTLS after EHLO.
    StartTls,
    /// TLS from the first byte (port 465 style).
    Wrapper,
}

trait Stream: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Stream for T {}

fn acceptor() -> TlsAcceptor {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let certs: Vec<CertificateDer<'static>> =
        CertificateDer::pem_slice_iter(SERVER_CERT).collect::<Result<_, _>>().unwrap();
    let key = PrivateKeyDer::from_pem_slice(SERVER_KEY).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .unwrap();
    TlsAcceptor::from(Arc::new(config))
}

/// One accepted mail transaction.
#[derive(Debug, Clone)]
pub struct Received {
    pub mail_from: String,
    pub rcpt_to: Vec<String>,
    /// The message as transmitted, with dot-stuffing removed.
    pub data: Vec<u8>,
}

#[derive(Default)]
struct State {
    received: Vec<Received>,
    rcpt_reply: Option<String>,
    connections: usize,
    /// Mail transactions that ran over TLS.
    over_tls: usize,
}

pub struct SmtpSink {
    pub addr: SocketAddr,
    state: Arc<Mutex<State>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl SmtpSink {
    pub async fn start() -> SmtpSink {
        SmtpSink::start_with(SinkTls::None).await
    }

    pub async fn start_with(tls: SinkTls) -> SmtpSink {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let state = Arc::new(Mutex::new(State::default()));
        let shared = Arc::clone(&state);
        let acceptor = (tls != SinkTls::None).then(acceptor);
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                shared.lock().unwrap().connections += 1;
                let (shared, acceptor) = (Arc::clone(&shared), acceptor.clone());
                tokio::spawn(async move {
                    match (tls, acceptor) {
                        (SinkTls::Wrapper, Some(a)) => {
                            if let Ok(s) = a.accept(stream).await {
                                session(Box::new(s), shared, None, true, true).await;
                            }
                        }
                        (_, acceptor) => session(Box::new(stream), shared, acceptor, false, true).await,
                    }
                });
            }
        });
        SmtpSink { addr, state, task }
    }

    /// How many mail transactions ran over TLS.
    pub fn over_tls(&self) -> usize {
        self.state.lock().unwrap().over_tls
    }

    /// Answer every RCPT with this line (e.g. `451 4.3.0 try later`) instead of 250.
    pub fn reply_to_rcpt(&self, line: &str) {
        self.state.lock().unwrap().rcpt_reply = Some(line.to_owned());
    }

    pub fn received(&self) -> Vec<Received> {
        self.state.lock().unwrap().received.clone()
    }

    pub fn connections(&self) -> usize {
        self.state.lock().unwrap().connections
    }
}

/// One connection: `starttls` offers the upgrade (the conversation then goes on over TLS,
/// not greeted again); `secure` says the stream is already TLS.
fn session(
    stream: Box<dyn Stream>,
    state: Arc<Mutex<State>>,
    starttls: Option<TlsAcceptor>,
    secure: bool,
    greet: bool,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>> {
    Box::pin(conversation(stream, state, starttls, secure, greet))
}

async fn say(io: &mut BufReader<Box<dyn Stream>>, text: &[u8]) -> bool {
    let w = io.get_mut();
    w.write_all(text).await.is_ok() && w.flush().await.is_ok()
}

async fn conversation(
    stream: Box<dyn Stream>,
    state: Arc<Mutex<State>>,
    starttls: Option<TlsAcceptor>,
    secure: bool,
    greet: bool,
) {
    let mut lines = BufReader::new(stream);
    if greet && !say(&mut lines, b"220 sink.test ESMTP ready\r\n").await {
        return;
    }
    let mut mail_from = String::new();
    let mut rcpt_to = Vec::new();
    let mut line = String::new();
    loop {
        line.clear();
        match lines.read_line(&mut line).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        let command = line.trim_end().to_owned();
        let verb = command.split(' ').next().unwrap_or_default().to_ascii_uppercase();
        let reply: String = match verb.as_str() {
            "EHLO" if starttls.is_some() && !secure => {
                "250-sink.test greets you\r\n250-8BITMIME\r\n250-STARTTLS\r\n250 PIPELINING\r\n".to_owned()
            }
            "EHLO" => "250-sink.test greets you\r\n250-8BITMIME\r\n250 PIPELINING\r\n".to_owned(),
            "HELO" => "250 sink.test\r\n".to_owned(),
            "STARTTLS" if !secure => {
                let Some(acceptor) = starttls.clone() else {
                    if !say(&mut lines, b"502 5.5.1 STARTTLS not offered\r\n").await {
                        return;
                    }
                    continue;
                };
                if !say(&mut lines, b"220 2.0.0 ready to start TLS\r\n").await {
                    return;
                }
                // Anything the client sent before the handshake is discarded (RFC 3207 §4.2).
                let Ok(tls) = acceptor.accept(lines.into_inner()).await else { return };
                return session(Box::new(tls), state, None, true, false).await;
            }
            "MAIL" => {
                mail_from = command[5..].to_owned();
                rcpt_to.clear();
                "250 2.1.0 OK\r\n".to_owned()
            }
            "RCPT" => match state.lock().unwrap().rcpt_reply.clone() {
                Some(reply) => format!("{reply}\r\n"),
                None => {
                    rcpt_to.push(command[3..].to_owned());
                    "250 2.1.5 OK\r\n".to_owned()
                }
            },
            "DATA" => {
                if !say(&mut lines, b"354 end with <CRLF>.<CRLF>\r\n").await {
                    return;
                }
                let mut data = Vec::new();
                loop {
                    let mut raw = Vec::new();
                    match lines.read_until(b'\n', &mut raw).await {
                        Ok(0) | Err(_) => return,
                        Ok(_) => {}
                    }
                    if raw == b".\r\n" {
                        break;
                    }
                    // RFC 5321 §4.5.2: a leading dot was doubled by the client.
                    let unstuffed = if raw.starts_with(b"..") { &raw[1..] } else { &raw[..] };
                    data.extend_from_slice(unstuffed);
                }
                let mut st = state.lock().unwrap();
                st.received.push(Received { mail_from: mail_from.clone(), rcpt_to: rcpt_to.clone(), data });
                if secure {
                    st.over_tls += 1;
                }
                format!("250 2.0.0 queued as Q{}\r\n", st.received.len())
            }
            "RSET" => {
                mail_from.clear();
                rcpt_to.clear();
                "250 2.0.0 OK\r\n".to_owned()
            }
            "NOOP" => "250 2.0.0 OK\r\n".to_owned(),
            "QUIT" => {
                let _ = say(&mut lines, b"221 2.0.0 bye\r\n").await;
                return;
            }
            _ => "502 5.5.2 command not recognized\r\n".to_owned(),
        };
        if !say(&mut lines, reply.as_bytes()).await {
            return;
        }
    }
}
