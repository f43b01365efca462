//! `rediss://`: a real redis-server with TLS on (a CA and a certificate for 127.0.0.1 made here with the openssl
//! command), trusted through `SSL_CERT_FILE` as rustls-native-certs reads it. A server the store cannot verify fails
//! closed. One test in its own binary: it sets an environment variable.

use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use hookseal_store::{ClaimOutcome, ErrorCode, Store, StoreOptions};

fn run(dir: &Path, args: &[&str]) {
    let status = Command::new("openssl").args(args).current_dir(dir).stderr(Stdio::null()).status();
    assert!(status.is_ok_and(|s| s.success()), "openssl {args:?} failed (is the openssl command installed?)");
}

fn certificates(dir: &Path) {
    run(
        dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "ca.key",
            "-out",
            "ca.crt",
            "-days",
            "2",
            "-subj",
            "/CN=hookseal test CA",
        ],
    );
    run(
        dir,
        &[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
            "-subj",
            "/CN=127.0.0.1",
        ],
    );
    std::fs::write(dir.join("ext.cnf"), "subjectAltName=IP:127.0.0.1\n").unwrap();
    run(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.crt",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "server.crt",
            "-days",
            "2",
            "-extfile",
            "ext.cnf",
        ],
    );
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn start(dir: &Path) -> (Server, u16) {
    let server = std::env::var("HOOKSEAL_REDIS_SERVER").unwrap_or_else(|_| "redis-server".into());
    for _ in 0..5 {
        let port = free_port();
        let child = Command::new(&server)
            .args(["--port", "0", "--tls-port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--tls-cert-file", "server.crt", "--tls-key-file", "server.key", "--tls-ca-cert-file", "ca.crt"])
            .args(["--tls-auth-clients", "no", "--save", "", "--appendonly", "no"])
            .current_dir(dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server (run under scripts/with-redis.sh, or install redis-server)");
        let mut server = Server(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return (server, port);
            }
            if server.0.try_wait().unwrap().is_some() {
                break; // the port was taken: try another
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        drop(server);
    }
    panic!("redis-server with TLS did not start");
}

#[test]
fn rediss_claims_over_tls_and_refuses_an_untrusted_server() {
    let dir = tempfile::tempdir().unwrap();
    certificates(dir.path());
    let (_server, port) = start(dir.path());
    let url = format!("rediss://127.0.0.1:{port}/0");

    // Not trusted yet (the system's roots do not hold the test CA): closed, not open.
    std::env::set_var("SSL_CERT_FILE", "/nonexistent/hookseal-no-roots.pem");
    let untrusted = Store::open(&url, &StoreOptions::new()).unwrap();
    let error = untrusted.claim("tls", "evt").unwrap_err();
    assert_eq!(error.code(), ErrorCode::StoreUnavailable, "{error}");

    std::env::set_var("SSL_CERT_FILE", dir.path().join("ca.crt"));
    let store = Store::open(&url, &StoreOptions::new()).unwrap();
    assert_eq!(store.backend(), "redis");
    let ClaimOutcome::Claimed(claim) = store.claim("tls", "evt").unwrap() else { panic!("a fresh key") };
    assert!(matches!(store.claim("tls", "evt").unwrap(), ClaimOutcome::InProgress { .. }));
    assert!(store.complete(&claim).unwrap());
    assert_eq!(store.claim("tls", "evt").unwrap(), ClaimOutcome::Duplicate);
}
