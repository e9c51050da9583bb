//! `network.mode = "allow"`: only allowed names, through guard's proxy, and
//! nothing around it. Local servers stand in for remote hosts, named with
//! `--resolve`.

use crate::support::*;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;

/// aider, installed by `.ci/run` into its own virtual environment.
const AIDER: &str = "/opt/guard-aider/bin/aider";

/// A server answering every connection with `reply`, on 127.0.0.1.
pub(crate) fn serve(reply: &'static str) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let mut line = String::new();
            let _ = BufReader::new(&stream).read_line(&mut line);
            let _ = stream.write_all(reply.as_bytes());
        }
    });
    port
}

/// The client the session runs: one line per way out it tries.
const CLIENT: &str = include_str!("../fixtures/proxy_client.py");

/// The last session's records (of `kind`, if given), as `guard log show
/// --json` gives them; a line still being written is left out.
fn last_records(env: &TestEnv, kind: Option<&str>) -> Vec<serde_json::Value> {
    let mut args = vec!["log", "show", "last", "--json"];
    if let Some(kind) = kind {
        args.extend(["--kind", kind]);
    }
    let log = env.guard(&args).output().unwrap();
    String::from_utf8_lossy(&log.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

#[test]
fn only_allowed_names_get_through_the_proxy() {
    for_each_identity(|env| {
        let web = serve("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello");
        let tunnel = serve("tunnel-ok\n");
        let script = env.home.join("client.py");
        std::fs::write(&script, CLIENT).unwrap();
        env.give(&script);
        let (web_s, tunnel_s) = (web.to_string(), tunnel.to_string());
        let resolve_web = format!("allowed.test:{web}:127.0.0.1");
        let resolve_tunnel = format!("allowed.test:{tunnel}:127.0.0.1");
        let allow_web = format!("allowed.test:{web}");
        let allow_tunnel = format!("allowed.test:{tunnel}");
        let output = env
            .guard(&[
                "run",
                "--allow-read",
                env.home.to_str().unwrap(),
                "--allow-exec",
                "/usr/bin/python3",
                "--allow-domain",
                &allow_web,
                "--allow-domain",
                &allow_tunnel,
                "--allow-domain",
                &format!("other-allowed.test:{web}"),
                "--resolve",
                &resolve_web,
                "--resolve",
                &resolve_tunnel,
                "--",
                "/usr/bin/python3",
                script.to_str().unwrap(),
                &web_s,
                &tunnel_s,
            ])
            .output()
            .unwrap();
        let text = all_output(&output);
        for expected in [
            "allowed: hello",
            "other: HTTP 403 guard refused other.test:",
            "no network.allow rule matches; to allow it: --allow-domain other.test:",
            "literal: HTTP 403 guard refused 127.0.0.1:",
            "--resolve NAME:",
            "tunnel: HTTP/1.1 200 Connection established tunnel-ok",
            "fronted: HTTP/1.1 400 Bad Request guard refused the request: the Host header names other.test:",
            "badcred: HTTP/1.1 407",
            "direct: errno 13",
            "otherhost: errno 13",
            "udp: errno 13",
        ] {
            assert!(text.contains(expected), "{expected} missing:\n{text}");
        }
        let records = last_records(env, Some("connect"));
        let proxied = |host: &str, allowed: bool| {
            records
                .iter()
                .any(|r| r["host"] == host && r["allowed"] == allowed)
        };
        assert!(
            proxied("allowed.test", true)
                && proxied("other.test", false)
                && proxied("127.0.0.1", false),
            "{records:?}"
        );
        let fronting = records.iter().any(|r| {
            r["allowed"] == false
                && r["rule"]
                    .as_str()
                    .is_some_and(|rule| rule.starts_with("the Host header names other.test:"))
        });
        assert!(
            fronting,
            "the refused fronting is not on record: {records:?}"
        );
        let received = records
            .iter()
            .find(|r| {
                r["host"] == "allowed.test" && r["method"] == "CONNECT" && r["allowed"] == true
            })
            .unwrap();
        assert!(
            received["bytes_received"].as_u64().unwrap() > 0 && received["duration_ms"].is_u64()
        );
        // The connects that went around the proxy are refusals on record.
        let denied = last_records(env, Some("denied"));
        // The client's "direct" and "otherhost" connects.
        for address in [format!("127.0.0.1:{web}"), "127.0.0.2:".to_string()] {
            assert!(
                denied.iter().any(|r| r["operation"] == "connect"
                    && r["syscall"] == "connect"
                    && r["address"]
                        .as_str()
                        .is_some_and(|a| a.starts_with(&address))
                    && r["errno"] == "EACCES"
                    && r["rule"]
                        .as_str()
                        .is_some_and(|rule| rule.contains("proxy"))),
                "no denial of the direct connect to {address}: {denied:?}"
            );
        }
    });
}

#[test]
fn network_none_reaches_nothing() {
    let env = TestEnv::new(identities()[0]);
    let web = serve("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello");
    let output = env
        .guard(&["run", "--network", "none", "--allow-exec", "/usr/bin/python3", "--", "/usr/bin/python3", "-c",
            &format!("import urllib.request\ntry:\n    print(urllib.request.urlopen('http://127.0.0.1:{web}/', timeout=5).read())\nexcept Exception as e:\n    print('failed', e)")])
        .output()
        .unwrap();
    let text = all_output(&output);
    assert!(text.contains("failed") && !text.contains("hello"), "{text}");
}

#[test]
fn the_real_clients_reach_their_vendor_through_the_proxy() {
    let env = TestEnv::new(identities()[0]);
    for (client, args, key, host) in [
        (
            "claude",
            vec!["claude", "-p", "hi"],
            "ANTHROPIC_API_KEY",
            "api.anthropic.com",
        ),
        (
            "codex",
            vec!["codex", "exec", "--skip-git-repo-check", "hi"],
            "OPENAI_API_KEY",
            "api.openai.com",
        ),
        (
            "gemini",
            vec!["gemini", "--skip-trust", "-p", "hi"],
            "GEMINI_API_KEY",
            "generativelanguage.googleapis.com",
        ),
        (
            "aider",
            vec![
                AIDER,
                "--message",
                "hi",
                "--yes-always",
                "--no-git",
                "--no-check-update",
                "--model",
                "gpt-4o",
            ],
            "OPENAI_API_KEY",
            "api.openai.com",
        ),
    ] {
        let mut full = vec!["run", "--"];
        full.extend(args.iter().copied());
        // These machines have no internet: the client retries; the test stops
        // it once the CONNECT is on record (or after a minute).
        let mut child = env
            .guard(&full)
            .env(key, "sk-test-not-a-real-key")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let records = || last_records(&env, None);
        let reached = |records: &[serde_json::Value]| {
            records
                .iter()
                .any(|r| r["kind"] == "connect" && r["host"] == host && r["allowed"] == true)
        };
        let started = std::time::Instant::now();
        while !reached(&records()) && started.elapsed() < std::time::Duration::from_secs(60) {
            if child.try_wait().unwrap().is_some() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(500));
        }
        let _ = child.kill();
        let _ = child.wait();
        let records = records();
        assert!(reached(&records), "{client}: no allowed CONNECT to {host}");
        let ssh = env.home.join(".ssh");
        let aws = env.home.join(".aws");
        assert!(
            !records.iter().any(|r| r["path"]
                .as_str()
                .is_some_and(|p| p.starts_with(ssh.to_str().unwrap())
                    || p.starts_with(aws.to_str().unwrap()))),
            "{client} went for the fixture's secrets"
        );
    }
}

/// A static file server for `dir` on 127.0.0.1 (enough for git's dumb HTTP).
fn serve_dir(dir: std::path::PathBuf) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let mut line = String::new();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let _ = reader.read_line(&mut line);
            loop {
                let mut header = String::new();
                if reader
                    .read_line(&mut header)
                    .map(|n| n <= 2)
                    .unwrap_or(true)
                {
                    break;
                }
            }
            let path = line
                .split_whitespace()
                .nth(1)
                .unwrap_or("/")
                .split('?')
                .next()
                .unwrap_or("/")
                .to_string();
            let reply = match std::fs::read(dir.join(path.trim_start_matches('/'))) {
                Ok(body) => [
                    format!(
                        "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                        body.len()
                    )
                    .into_bytes(),
                    body,
                ]
                .concat(),
                Err(_) => {
                    b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                        .to_vec()
                }
            };
            let _ = stream.write_all(&reply);
        }
    });
    port
}

#[test]
fn git_honours_the_proxy() {
    let env = TestEnv::new(identities()[0]);
    let served = env.home.join("served");
    std::fs::create_dir_all(&served).unwrap();
    git(
        &served,
        &[
            "clone",
            "-q",
            "--bare",
            env.repo.to_str().unwrap(),
            "repo.git",
        ],
    );
    git(&served.join("repo.git"), &["update-server-info"]);
    let port = serve_dir(served);
    let output = env
        .guard(&[
            "run",
            "--allow-domain",
            &format!("git.test:{port}"),
            "--resolve",
            &format!("git.test:{port}:127.0.0.1"),
            "--",
            "git",
            "ls-remote",
            &format!("http://git.test:{port}/repo.git"),
        ])
        .output()
        .unwrap();
    let text = all_output(&output);
    assert!(
        output.status.success() && text.contains("refs/heads/main"),
        "{text}"
    );
}

#[test]
fn https_and_git_over_https_go_through_the_tunnel_with_the_certificate_intact() {
    let env = TestEnv::new(identities()[0]);
    let dir = env.home.join("tls");
    std::fs::create_dir_all(&dir).unwrap();
    let made = std::process::Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=secure.test",
            "-addext",
            "subjectAltName=DNS:secure.test",
        ])
        .arg("-keyout")
        .arg(dir.join("key.pem"))
        .arg("-out")
        .arg(dir.join("cert.pem"))
        .output()
        .unwrap();
    assert!(made.status.success(), "{}", all_output(&made));
    std::fs::write(dir.join("index.html"), "hello-tls").unwrap();
    git(
        &dir,
        &[
            "clone",
            "-q",
            "--bare",
            env.repo.to_str().unwrap(),
            "repo.git",
        ],
    );
    git(&dir.join("repo.git"), &["update-server-info"]);
    let server_script = "import http.server, ssl, sys, functools\n\
        handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=sys.argv[1])\n\
        server = http.server.HTTPServer(('127.0.0.1', 0), handler)\n\
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)\n\
        context.load_cert_chain(sys.argv[1] + '/cert.pem', sys.argv[1] + '/key.pem')\n\
        server.socket = context.wrap_socket(server.socket, server_side=True)\n\
        print(server.server_address[1], flush=True)\n\
        server.serve_forever()\n";
    let mut server = std::process::Command::new("/usr/bin/python3")
        .args(["-c", server_script])
        .arg(&dir)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut port = String::new();
    BufReader::new(server.stdout.take().unwrap())
        .read_line(&mut port)
        .unwrap();
    let port = port.trim().to_string();
    env.give(&dir);
    let client = format!(
        "import ssl, urllib.request\ncontext = ssl.create_default_context(cafile='{}')\nprint(urllib.request.urlopen('https://secure.test:{port}/index.html', context=context, timeout=10).read().decode())",
        dir.join("cert.pem").display()
    );
    let output = env
        .guard(&[
            "run",
            "--allow-read",
            dir.to_str().unwrap(),
            "--allow-exec",
            "/usr/bin/python3",
            "--allow-domain",
            &format!("secure.test:{port}"),
            "--resolve",
            &format!("secure.test:{port}:127.0.0.1"),
            "--",
            "/usr/bin/python3",
            "-c",
            &client,
        ])
        .output()
        .unwrap();
    // git over https (git-remote-https, libcurl) through the same tunnel.
    let git_output = env
        .guard(&[
            "run",
            "--allow-read",
            dir.to_str().unwrap(),
            "--allow-domain",
            &format!("secure.test:{port}"),
            "--resolve",
            &format!("secure.test:{port}:127.0.0.1"),
            "--",
            "git",
            "-c",
            &format!("http.sslCAInfo={}", dir.join("cert.pem").display()),
            "ls-remote",
            &format!("https://secure.test:{port}/repo.git"),
        ])
        .output()
        .unwrap();
    let _ = server.kill();
    let _ = server.wait();
    let text = all_output(&output);
    assert!(text.contains("hello-tls"), "{text}");
    let git_text = all_output(&git_output);
    assert!(
        git_output.status.success() && git_text.contains("refs/heads/main"),
        "{git_text}"
    );
}

#[test]
fn node_fetch_goes_through_the_proxy() {
    for_each_identity(|env| {
        let web =
            serve("HTTP/1.1 200 OK\r\nContent-Length: 10\r\nConnection: close\r\n\r\nfrom-fetch");
        // The session's own Node options survive guard's proxy preload.
        let profile = env.profile_file(
            "node-options",
            "extends = [\"builtin:default\"]\n[env.set]\nNODE_OPTIONS = \"--max-old-space-size=96\"\n",
        );
        let script = format!(
            "console.log('options', process.env.NODE_OPTIONS);\n\
             for (const host of ['allowed.test', 'other.test']) {{\n\
               try {{ const r = await fetch(`http://${{host}}:{web}/`); console.log(host, r.status, await r.text()); }}\n\
               catch (e) {{ console.log(host, 'failed', e.cause && e.cause.code || e.message); }}\n\
             }}"
        );
        let output = env
            .guard(&[
                "run",
                "-p",
                profile.to_str().unwrap(),
                "--allow-exec",
                "node",
                "--allow-domain",
                &format!("allowed.test:{web}"),
                "--resolve",
                &format!("allowed.test:{web}:127.0.0.1"),
                "--",
                "node",
                "--input-type=module",
                "-e",
                &script,
            ])
            .output()
            .unwrap();
        let text = all_output(&output);
        assert!(text.contains("allowed.test 200 from-fetch"), "{text}");
        assert!(
            text.contains("options --require") && text.contains(" --max-old-space-size=96"),
            "{text}"
        );
        // undici tunnels plain HTTP through CONNECT too: a refusal is a failed fetch.
        assert!(
            text.contains("other.test failed") && !text.contains("other.test 200"),
            "{text}"
        );
        assert!(
            !text.contains("experimental"),
            "no warning reaches the user: {text}"
        );
    });
}

/// The CA bundles the user's tools trust (a company's TLS-inspecting proxy
/// needs its own) reach the assistants' sessions, and the system's is
/// readable there: without them every npm, pip and git fetch through such a
/// proxy fails with "self-signed certificate in certificate chain".
#[test]
fn the_users_ca_bundles_reach_an_assistants_session() {
    let env = TestEnv::new(identities()[0]);
    let bundle = "/etc/ssl/certs/ca-certificates.crt";
    let script = "printf '%s|%s\\n' \"$NODE_EXTRA_CA_CERTS\" \"$SSL_CERT_FILE\"; \
                  node -e 'require(\"https\")' && head -c 27 \"$SSL_CERT_FILE\"";
    let output = env
        .guard(&["run", "-p", "assistant", "--", "bash", "-c", script])
        .env("NODE_EXTRA_CA_CERTS", bundle)
        .env("SSL_CERT_FILE", bundle)
        .output()
        .unwrap();
    let text = all_output(&output);
    assert!(output.status.success(), "{text}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.starts_with(&format!("{bundle}|{bundle}\n")),
        "{text}"
    );
    assert!(stdout.contains("-----BEGIN CERTIFICATE-----"), "{text}");
    // Node read the extra certificates (it warns when it cannot).
    assert!(!text.contains("Ignoring extra certs"), "{text}");
}

/// A stand-in for a company's HTTP proxy: each connection's `CONNECT` head
/// is kept, and the tunnel goes to 127.0.0.1:`target` whatever it names.
fn company_proxy(target: u16) -> (u16, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let heads = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = heads.clone();
    std::thread::spawn(move || {
        for client in listener.incoming().flatten() {
            let mut reader = BufReader::new(client.try_clone().unwrap());
            let mut head = String::new();
            while !head.ends_with("\r\n\r\n") {
                if reader.read_line(&mut head).unwrap_or(0) == 0 {
                    break;
                }
            }
            seen.lock().unwrap().push(head);
            let server = std::net::TcpStream::connect(("127.0.0.1", target)).unwrap();
            let mut to_client = client.try_clone().unwrap();
            to_client
                .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
                .unwrap();
            let (mut from_server, mut to_server) = (server.try_clone().unwrap(), server);
            std::thread::spawn(move || std::io::copy(&mut reader, &mut to_server));
            std::thread::spawn(move || std::io::copy(&mut from_server, &mut to_client));
        }
    });
    (port, heads)
}

/// Where the only way out is the user's own HTTP proxy (`HTTPS_PROXY`),
/// guard's proxy tunnels the allowed connections through it, with the
/// proxy's credential, which reaches neither the session nor the log; a
/// `NO_PROXY` name is reached directly.
#[test]
fn allowed_connections_go_on_through_the_users_own_proxy() {
    for_each_identity(|env| {
        let web =
            serve("HTTP/1.1 200 OK\r\nContent-Length: 8\r\nConnection: close\r\n\r\nfar-away");
        let (proxy, heads) = company_proxy(web);
        let fetch = format!(
            "import urllib.request, os\n\
             assert 's3cret' not in str(os.environ)\n\
             print(urllib.request.urlopen('http://far.test:{web}/', timeout=20).read().decode())\n"
        );
        let script = env.home.join("fetch.py");
        std::fs::write(&script, fetch).unwrap();
        env.give(&script);
        let run = |no_proxy: &str| {
            env.guard(&["run", "--allow-read", env.home.to_str().unwrap()])
                .args(["--allow-exec", "/usr/bin/python3"])
                .args(["--allow-domain", &format!("far.test:{web}")])
                .args(["--", "/usr/bin/python3", script.to_str().unwrap()])
                .env(
                    "HTTPS_PROXY",
                    format!("http://alice:s3cret@127.0.0.1:{proxy}"),
                )
                .env("NO_PROXY", no_proxy)
                .output()
                .unwrap()
        };
        let output = run("localhost");
        let text = all_output(&output);
        assert!(output.status.success(), "{text}");
        assert!(text.contains("far-away"), "{text}");
        let seen = heads.lock().unwrap().clone();
        assert_eq!(seen.len(), 1, "{seen:?}");
        assert!(
            seen[0].starts_with(&format!("CONNECT far.test:{web} HTTP/1.1\r\n")),
            "{seen:?}"
        );
        // base64("alice:s3cret")
        assert!(
            seen[0].contains("Proxy-Authorization: Basic YWxpY2U6czNjcmV0\r\n"),
            "{seen:?}"
        );
        let connects = last_records(env, Some("connect"));
        let through = connects.iter().find(|r| r["host"] == "far.test");
        assert_eq!(
            through.map(|r| r["through"].clone()),
            Some(serde_json::json!(format!("127.0.0.1:{proxy}"))),
            "{connects:#?}"
        );
        let (log, _) = env.last_log();
        let log = std::fs::read_to_string(log).unwrap();
        assert!(!log.contains("s3cret") && !log.contains("YWxpY2U6czNjcmV0"));
        // Named in NO_PROXY: no tunnel (and here no address of its own).
        let output = run("far.test");
        assert!(!output.status.success(), "{}", all_output(&output));
        assert_eq!(heads.lock().unwrap().len(), 1);
        // A proxy guard cannot go through stops the session, naming the
        // variable but not its password.
        let output = env
            .guard(&["run", "--allow-domain", "far.test", "--", "true"])
            .env("HTTPS_PROXY", "socks5://alice:s3cret@127.0.0.1:1080")
            .output()
            .unwrap();
        let text = all_output(&output);
        assert_eq!(output.status.code(), Some(125), "{text}");
        assert!(
            text.contains("HTTPS_PROXY: guard goes on only through an http:// proxy"),
            "{text}"
        );
        assert!(!text.contains("s3cret"), "{text}");
    });
}
