//! `hearth serve` with no provider configured: it starts the bundled local
//! model server, waits for its health, sends every role to it, reports its
//! death, and stops it (and only it) on exit. A stand-in server with the same
//! interface keeps this fast; `scripts/smoke-local-model` runs the real one.

use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

const BIN: &str = env!("CARGO_BIN_EXE_hearth");

/// A fake LLM dir laid out as scripts/setup-local-model leaves it.
fn fake_llm_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("bin")).unwrap();
    std::fs::create_dir_all(dir.path().join("models")).unwrap();
    let server = dir.path().join("bin/llama-server");
    std::fs::copy(
        concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fake-llama-server.py"),
        &server,
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&server, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    std::fs::write(
        dir.path().join("models/SmolLM2-135M-Instruct.Q4_1.gguf"),
        b"not a real model",
    )
    .unwrap();
    dir
}

struct Serve {
    child: Child,
    url: String,
    data: tempfile::TempDir,
    stderr: PathBuf,
}

async fn serve(llm: &Path, env: &[(&str, &str)]) -> Serve {
    let data = tempfile::tempdir().unwrap();
    let stderr = data.path().join("stderr.log");
    let mut cmd = Command::new(BIN);
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("RUST_LOG", "info")
        .env("HEARTH_LLM_DIR", llm)
        .args(["serve", "--addr", "127.0.0.1:0", "--data-dir"])
        .arg(data.path())
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&stderr).unwrap())
        .kill_on_drop(true);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let url = tokio::time::timeout(Duration::from_secs(60), async {
        while let Some(line) = lines.next_line().await.unwrap() {
            if let Some(url) = line.strip_prefix("listening on ") {
                return url.to_string();
            }
        }
        panic!(
            "hearth serve exited: {}",
            std::fs::read_to_string(&stderr).unwrap_or_default()
        );
    })
    .await
    .expect("hearth serve did not become ready");
    Serve {
        child,
        url,
        data,
        stderr,
    }
}

fn server_file(s: &Serve) -> Value {
    serde_json::from_str(&std::fs::read_to_string(s.data.path().join("server.json")).unwrap())
        .unwrap()
}

fn token(data: &Path) -> String {
    let out = std::process::Command::new(BIN)
        .args(["token", "--user", "alice", "--data-dir"])
        .arg(data)
        .output()
        .unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

fn alive(pid: i32) -> bool {
    // Signal 0 checks existence; a zombie still counts, so read its state too.
    let exists = unsafe { libc::kill(pid, 0) } == 0;
    let zombie = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|s| s.contains(") Z "))
        .unwrap_or(false);
    exists && !zombie
}

async fn wait_until(mut cond: impl FnMut() -> bool) -> bool {
    for _ in 0..100 {
        if cond() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

async fn chat(s: &Serve) -> (u16, Value) {
    let resp = reqwest::Client::new()
        .post(format!("{}/v1/chat", s.url))
        .bearer_auth(token(s.data.path()))
        .json(&json!({"message": "hello, local model"}))
        .send()
        .await
        .unwrap();
    (resp.status().as_u16(), resp.json().await.unwrap())
}

#[tokio::test]
async fn with_no_keys_every_role_uses_the_local_model_which_stops_on_exit() {
    let llm = fake_llm_dir();
    let mut s = serve(llm.path(), &[]).await;
    let (status, body) = chat(&s).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["reply"]["model"], "smollm2-135m-instruct");
    assert!(
        body["reply"]["content"]
            .as_str()
            .unwrap()
            .starts_with("local hello")
    );

    let args: Vec<String> = serde_json::from_str(
        &std::fs::read_to_string(
            llm.path()
                .join("models/SmolLM2-135M-Instruct.Q4_1.gguf.args"),
        )
        .unwrap(),
    )
    .unwrap();
    let host = args.iter().position(|a| a == "--host").unwrap();
    assert_eq!(
        args[host + 1],
        "127.0.0.1",
        "the model binds to loopback only"
    );

    let logs = std::fs::read_to_string(&s.stderr).unwrap();
    for role in ["chat", "deep", "checkin"] {
        assert!(
            logs.contains(&format!("role {role}: openai smollm2-135m-instruct")),
            "{logs}"
        );
    }

    let model_pid = server_file(&s)["model_pid"].as_i64().expect("model pid") as i32;
    assert!(alive(model_pid));
    unsafe { libc::kill(s.child.id().unwrap() as i32, libc::SIGTERM) };
    let status = tokio::time::timeout(Duration::from_secs(20), s.child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(status.success());
    assert!(
        wait_until(|| !alive(model_pid)).await,
        "the model server was left running"
    );
}

#[tokio::test]
async fn checkins_run_with_no_keys_writes_the_check_in_with_the_local_model_then_stops_it() {
    let llm = fake_llm_dir();
    let mut s = serve(llm.path(), &[]).await;
    assert_eq!(chat(&s).await.0, 200);
    unsafe { libc::kill(s.child.id().unwrap() as i32, libc::SIGTERM) };
    tokio::time::timeout(Duration::from_secs(20), s.child.wait())
        .await
        .unwrap()
        .unwrap();
    let pid_file = llm
        .path()
        .join("models/SmolLM2-135M-Instruct.Q4_1.gguf.pid");
    std::fs::remove_file(&pid_file).unwrap();

    // The person's default check-in hour, 19:00 UTC, within the next day.
    let now = chrono::Utc::now();
    let today = now.date_naive().and_hms_opt(19, 0, 0).unwrap().and_utc();
    let at = if today > now {
        today
    } else {
        today + chrono::Duration::days(1)
    };
    let out = Command::new(BIN)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HEARTH_LLM_DIR", llm.path())
        .args(["checkins", "run", "--at", &at.to_rfc3339(), "--data-dir"])
        .arg(s.data.path())
        .output()
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["written"], 1, "{report}");

    // A model of its own was started for the pass, and stopped after it.
    let pid: i32 = std::fs::read_to_string(&pid_file)
        .expect("the pass started the model")
        .trim()
        .parse()
        .unwrap();
    assert!(
        wait_until(|| !alive(pid)).await,
        "the model server was left running"
    );
    let out = Command::new(BIN)
        .args(["export", "--user", "alice", "--data-dir"])
        .arg(s.data.path())
        .output()
        .await
        .unwrap();
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let checkin = doc["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["kind"] == "checkin")
        .expect("a check-in")
        .clone();
    assert_eq!(
        (checkin["variant"].as_str(), checkin["model"].as_str()),
        (Some("model"), Some("smollm2-135m-instruct")),
        "{checkin}"
    );
    assert!(
        checkin["text"].as_str().unwrap().starts_with("local hello"),
        "{checkin}"
    );
}

#[tokio::test]
async fn the_death_of_the_model_server_is_reported() {
    let llm = fake_llm_dir();
    let s = serve(llm.path(), &[]).await;
    let model_pid = server_file(&s)["model_pid"].as_i64().unwrap() as i32;
    unsafe { libc::kill(model_pid, libc::SIGKILL) };
    let stderr = s.stderr.clone();
    let reported = wait_until(|| {
        std::fs::read_to_string(&stderr)
            .unwrap_or_default()
            .contains("the local model server exited")
    })
    .await;
    assert!(reported, "{}", std::fs::read_to_string(&stderr).unwrap());
    let (status, body) = chat(&s).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (503, Some("model_unavailable"))
    );
}

#[tokio::test]
async fn an_explicit_openai_base_url_is_used_as_given_and_nothing_is_spawned() {
    let llm = fake_llm_dir();
    let upstream = wiremock::MockServer::start().await;
    wiremock::Mock::given(wiremock::matchers::path("/v1/chat/completions"))
        .respond_with(wiremock::ResponseTemplate::new(200).set_body_json(json!({
            "model": "my-own-model",
            "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": "from my server"}}],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1}
        })))
        .mount(&upstream)
        .await;
    let base = format!("{}/v1", upstream.uri());
    let s = serve(llm.path(), &[("OPENAI_BASE_URL", &base)]).await;
    assert_eq!(server_file(&s)["model_pid"], Value::Null);
    assert!(
        !llm.path()
            .join("models/SmolLM2-135M-Instruct.Q4_1.gguf.args")
            .exists()
    );
    let (status, body) = chat(&s).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["reply"]["content"], "from my server");
}
