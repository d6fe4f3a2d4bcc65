//! The `hearth` binary as a person runs it: `serve` on a random port, `token`,
//! a chat turn against a fake Anthropic server, a hard kill and a restart.

use serde_json::{Value, json};
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const BIN: &str = env!("CARGO_BIN_EXE_hearth");

fn hearth(env: &[(&str, &str)]) -> Command {
    let mut cmd = Command::new(BIN);
    // No local model either: these tests are about the store and auth.
    cmd.env_clear()
        .env("RUST_LOG", "warn")
        .env("HEARTH_LLM_DIR", "/nonexistent/hearth-llm")
        .kill_on_drop(true);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd
}

/// Start `hearth serve` and wait (bounded) for its "listening on" line.
async fn serve(dir: &Path, env: &[(&str, &str)]) -> (Child, String) {
    let mut child = hearth(env)
        .args(["serve", "--addr", "127.0.0.1:0", "--data-dir"])
        .arg(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn hearth serve");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let url = tokio::time::timeout(Duration::from_secs(30), async {
        while let Some(line) = lines.next_line().await.unwrap() {
            if let Some(url) = line.strip_prefix("listening on ") {
                return url.to_string();
            }
        }
        panic!("hearth serve exited before listening");
    })
    .await
    .expect("hearth serve did not start in time");
    (child, url)
}

async fn token(dir: &Path, user: &str) -> String {
    let out = hearth(&[])
        .args(["token", "--user", user, "--ttl", "30m", "--data-dir"])
        .arg(dir)
        .output()
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(text.lines().count(), 1, "the token alone on one line");
    text.trim().to_string()
}

async fn get(url: &str, token: &str) -> (u16, Value) {
    let resp = reqwest::Client::new()
        .get(url)
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    (resp.status().as_u16(), resp.json().await.unwrap())
}

#[tokio::test]
async fn a_restart_keeps_every_session_and_message() {
    let anthropic = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/messages"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "type": "message", "role": "assistant", "model": "claude-haiku-4-5",
            "content": [{"type": "text", "text": "I'm listening."}],
            "stop_reason": "end_turn", "usage": {"input_tokens": 9, "output_tokens": 3}
        })))
        .mount(&anthropic)
        .await;
    let base = anthropic.uri();
    let env = [
        ("ANTHROPIC_API_KEY", "sk-ant-test"),
        ("ANTHROPIC_BASE_URL", base.as_str()),
    ];
    let dir = tempfile::tempdir().unwrap();

    let (mut first, url) = serve(dir.path(), &env).await;
    let tok = token(dir.path(), "alice").await;
    let resp = reqwest::Client::new()
        .post(format!("{url}/v1/chat"))
        .bearer_auth(&tok)
        .json(&json!({"message": "Please remember me."}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let turn: Value = resp.json().await.unwrap();
    let session = turn["session_id"].as_str().unwrap().to_string();

    // A hard kill, not a clean shutdown: durability cannot rely on exit hooks.
    first.kill().await.unwrap();

    let (_second, url) = serve(dir.path(), &env).await;
    let (status, sessions) = get(&format!("{url}/v1/sessions"), &tok).await;
    assert_eq!(status, 200);
    assert_eq!(sessions["items"][0]["id"], session.as_str());
    let (_, messages) = get(&format!("{url}/v1/sessions/{session}/messages"), &tok).await;
    let contents: Vec<&str> = messages["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["content"].as_str().unwrap())
        .collect();
    assert_eq!(contents, vec!["Please remember me.", "I'm listening."]);
}

#[tokio::test]
async fn a_second_server_on_the_same_data_dir_exits_at_once_naming_the_first() {
    let dir = tempfile::tempdir().unwrap();
    let (_first, url) = serve(dir.path(), &[]).await;
    let out = tokio::time::timeout(
        Duration::from_secs(20),
        hearth(&[])
            .args(["serve", "--addr", "127.0.0.1:0", "--data-dir"])
            .arg(dir.path())
            .output(),
    )
    .await
    .expect("the second server must not hang")
    .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("held by a running `hearth serve`"),
        "{stderr}"
    );
    assert!(stderr.contains(&url), "{stderr}");
}

#[tokio::test]
async fn with_no_provider_serve_starts_and_chat_says_what_to_set() {
    let dir = tempfile::tempdir().unwrap();
    let (_server, url) = serve(dir.path(), &[]).await;
    let tok = token(dir.path(), "alice").await;
    let (status, health) = get(&format!("{url}/healthz"), "").await;
    assert_eq!((status, health["status"].as_str()), (200, Some("ok")));
    let resp = reqwest::Client::new()
        .post(format!("{url}/v1/chat"))
        .bearer_auth(&tok)
        .json(&json!({"message": "anyone there?"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 503);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"]["code"], "model_unavailable");
    let (_, sessions) = get(&format!("{url}/v1/sessions"), &tok).await;
    assert_eq!(
        sessions["items"][0]["message_count"], 1,
        "the message is stored"
    );
}

#[tokio::test]
async fn token_uses_the_configured_secret_and_audience() {
    let dir = tempfile::tempdir().unwrap();
    let out = hearth(&[
        ("HEARTH_JWT_SECRET", "shared"),
        ("HEARTH_JWT_AUDIENCE", "hearth-app"),
        ("HEARTH_JWT_ISSUER", "https://iss.example"),
    ])
    .args(["token", "--user", "bob", "--ttl", "90s", "--data-dir"])
    .arg(dir.path())
    .output()
    .await
    .unwrap();
    assert!(out.status.success());
    let jwt = String::from_utf8(out.stdout).unwrap();
    let claims: Value = {
        use base64::Engine;
        let part = jwt.trim().split('.').nth(1).unwrap();
        serde_json::from_slice(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(part)
                .unwrap(),
        )
        .unwrap()
    };
    assert_eq!(claims["sub"], "bob");
    assert_eq!(claims["aud"], "hearth-app");
    assert_eq!(claims["iss"], "https://iss.example");
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        90
    );
    assert!(
        !dir.path().join("jwt-secret").exists(),
        "no local secret when one is configured"
    );
    let bad = hearth(&[])
        .args(["token", "--user", "a#b"])
        .output()
        .await
        .unwrap();
    assert!(!bad.status.success());
}

#[tokio::test]
async fn a_crisis_turn_leaves_a_crisis_flagged_event_without_its_text_in_the_outbox() {
    let dir = tempfile::tempdir().unwrap();
    // No provider: the crisis reply is the fixed safe one, still a 200.
    let (mut server, url) = serve(dir.path(), &[]).await;
    let tok = token(dir.path(), "alice").await;
    let resp = reqwest::Client::new()
        .post(format!("{url}/v1/chat"))
        .bearer_auth(&tok)
        .json(&json!({"message": "I wrote goodbye letters to my family"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["reply"]["route"], "crisis");
    assert_eq!(body["reply"]["model"], "fixed");
    assert!(body["reply"]["content"].as_str().unwrap().contains("988"));

    // While the server holds the data dir, `hearth events` says so at once.
    let held = hearth(&[])
        .args(["events", "--data-dir"])
        .arg(dir.path())
        .output()
        .await
        .unwrap();
    assert!(!held.status.success());
    assert!(String::from_utf8_lossy(&held.stderr).contains(&url));

    server.kill().await.unwrap();
    server.wait().await.unwrap();
    let out = hearth(&[])
        .args(["events", "--data-dir"])
        .arg(dir.path())
        .output()
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let events: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["detail_type"], "CrisisFlagged");
    assert_eq!(events[0]["source"], "hearth");
    assert_eq!(events[0]["event"]["user"], "alice");
    assert!(
        !text.contains("goodbye letters"),
        "no message text in events"
    );
}

#[tokio::test]
async fn import_then_export_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("history.ndjson");
    std::fs::write(
        &file,
        [
            r#"{"session_id":"old-1","role":"user","content":"First day at the new job.","created_at":"2025-05-01T08:00:00Z","external_id":"a1"}"#,
            r#"{"session_id":"old-1","role":"assistant","content":"How did it go?","created_at":"2025-05-01T08:00:05Z","external_id":"a2"}"#,
            r#"{"session_id":"old-1","role":"nobody","content":"?","created_at":"2025-05-01T08:00:09Z","external_id":"a3"}"#,
        ]
        .join("\n"),
    )
    .unwrap();
    let data = dir.path().join("data");
    let out = hearth(&[])
        .arg("import")
        .arg(&file)
        .args(["--user", "carol", "--data-dir"])
        .arg(&data)
        .output()
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (report["imported"].as_u64(), report["skipped"].as_u64()),
        (Some(2), Some(0))
    );
    assert_eq!(report["errors"][0]["line"], 3);
    assert!(String::from_utf8_lossy(&out.stderr).contains("line 3: role"));
    let again = hearth(&[])
        .arg("import")
        .arg(&file)
        .args(["--user", "carol", "--data-dir"])
        .arg(&data)
        .output()
        .await
        .unwrap();
    let report: Value = serde_json::from_slice(&again.stdout).unwrap();
    assert_eq!(
        (report["imported"].as_u64(), report["skipped"].as_u64()),
        (Some(0), Some(2))
    );

    let out = hearth(&[])
        .args(["export", "--user", "carol", "--data-dir"])
        .arg(&data)
        .output()
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["user"], "carol");
    let items = doc["items"].as_array().unwrap();
    let messages: Vec<&Value> = items.iter().filter(|i| i["kind"] == "message").collect();
    assert_eq!(messages.len(), 2);
    assert_eq!(messages[0]["content"], "First day at the new job.");
    assert!(
        items.iter().any(|i| i["kind"] == "job"),
        "extraction of the imported session is queued"
    );
}

#[tokio::test]
async fn checkins_run_writes_a_due_check_in_once_as_of_the_given_time() {
    let dir = tempfile::tempdir().unwrap();
    // No provider: the turn answers 503, but the message is stored; the
    // check-in then gets the fallback line.
    let (mut server, url) = serve(dir.path(), &[]).await;
    let tok = token(dir.path(), "dora").await;
    let resp = reqwest::Client::new()
        .post(format!("{url}/v1/chat"))
        .bearer_auth(&tok)
        .json(&json!({"message": "Long day."}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 503);
    server.kill().await.unwrap();
    server.wait().await.unwrap();

    // Her default check-in hour is 19:00 UTC: the next one is within 24 hours.
    let now = chrono::Utc::now();
    let today = now.date_naive().and_hms_opt(19, 0, 0).unwrap().and_utc();
    let at = if today > now {
        today
    } else {
        today + chrono::Duration::days(1)
    };
    for (round, field) in [(0, "written"), (1, "already")] {
        let out = hearth(&[])
            .args(["checkins", "run", "--at", &at.to_rfc3339(), "--data-dir"])
            .arg(dir.path())
            .output()
            .await
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let report: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(report[field], 1, "round {round}: {report}");
    }
    let out = hearth(&[])
        .args(["export", "--user", "dora", "--data-dir"])
        .arg(dir.path())
        .output()
        .await
        .unwrap();
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let checkins: Vec<&Value> = doc["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["kind"] == "checkin")
        .collect();
    assert_eq!(checkins.len(), 1);
    assert_eq!(checkins[0]["variant"], "fallback");
}

/// A store written the old way: messages stored straight through the port,
/// with nothing put in the index, as before messages were indexed on write.
async fn history_the_old_way(data: &Path, user: &str) -> (String, String) {
    use hearth::domain::ids::UserId;
    use hearth::domain::message::{ContextCounts, NewReply, NewUserMessage, ReplyMeta, Usage};
    use hearth::domain::route::Route;
    use hearth::domain::safety::CrisisCategory;
    use hearth::domain::safety::flag::Flagged;
    use hearth::ports::ConversationStore;
    let store = hearth::adapters::embedded::EmbeddedStore::open(data).unwrap();
    let user = UserId::parse(user).unwrap();
    let said = |content: &str, session, crisis| NewUserMessage {
        remember: true,
        session_id: session,
        content: content.into(),
        client_message_id: None,
        created_at: chrono::Utc::now(),
        crisis,
    };
    let first = store
        .record_user_message(
            &user,
            said("We adopted a greyhound called Biscuit.", None, None),
        )
        .await
        .unwrap();
    store
        .record_reply(
            &user,
            &first.session.id,
            first.message.seq,
            NewReply {
                remember: true,
                content: "Biscuit is a lovely name.".into(),
                created_at: chrono::Utc::now(),
                meta: ReplyMeta {
                    route: Route::Support,
                    model: "old-model".into(),
                    usage: Usage::default(),
                    memories_used: Vec::new(),
                    context: ContextCounts::default(),
                },
            },
        )
        .await
        .unwrap();
    let flagged = store
        .record_user_message(
            &user,
            said(
                "I wrote goodbye letters last night.",
                Some(first.session.id.clone()),
                Some(Flagged::by_rule(CrisisCategory::Suicidal, "goodbyes")),
            ),
        )
        .await
        .unwrap();
    (first.message.id.to_string(), flagged.message.id.to_string())
}

/// Run `hearth migrate` with `args` and `env`; its JSON summary.
async fn migrate(data: &Path, args: &[&str], env: &[(&str, &str)]) -> Value {
    let out = hearth(env)
        .arg("migrate")
        .args(args)
        .arg("--data-dir")
        .arg(data)
        .output()
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[tokio::test]
async fn migrate_indexes_history_stored_the_old_way_once_with_its_crisis_mark() {
    use hearth::domain::ids::UserId;
    use hearth::domain::retrieval::{DocKind, Query, doc_key};
    use hearth::service::retrieval::Retriever;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (calm, flagged) = history_the_old_way(&data, "gwen").await;
    history_the_old_way(&data, "hal").await;
    let lexical = [("HEARTH_ENCODER_DIR", "/nonexistent/encoder")];

    let only = migrate(&data, &["--user", "gwen"], &lexical).await;
    assert_eq!(
        (&only["users"], &only["sessions"], &only["messages"]),
        (&json!(1), &json!(1), &json!(3))
    );
    assert_eq!(
        (&only["indexed"], &only["vectors"]),
        (&json!(3), &json!(false))
    );
    let everyone = migrate(&data, &[], &lexical).await;
    assert_eq!(
        (
            &everyone["users"],
            &everyone["messages"],
            &everyone["indexed"]
        ),
        (&json!(2), &json!(6), &json!(3)),
        "gwen's were indexed already; hal's now: {everyone}"
    );
    assert_eq!(
        migrate(&data, &[], &lexical).await["indexed"],
        0,
        "idempotent"
    );

    {
        let store = hearth::adapters::embedded::EmbeddedStore::open(&data).unwrap();
        let retriever = Retriever::new(std::sync::Arc::new(store), None, 64);
        let index = retriever
            .index(&UserId::parse("gwen").unwrap())
            .await
            .unwrap();
        let query = Query {
            text: "greyhound Biscuit",
            vector: None,
            route: hearth::domain::route::Route::Support,
            now: chrono::Utc::now(),
        };
        let hits = index.search(&query, 5);
        assert!(
            hits.iter().any(|h| h.doc.id == calm),
            "{:?}",
            hits.iter().map(|h| &h.doc.text).collect::<Vec<_>>()
        );
        let crisis = |id: &str| index.doc(&doc_key(DocKind::Message, id)).map(|d| d.crisis);
        assert_eq!(crisis(&flagged), Some(true));
        assert_eq!(crisis(&calm), Some(false));
    }

    // With the encoder's files, the same history gets its vectors, in batches.
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let encoder = std::env::var_os("HEARTH_ENCODER_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| repo.join(".models/all-minilm-l6-v2"));
    if !encoder.join("model.safetensors").is_file() {
        assert_ne!(
            std::env::var("HEARTH_REQUIRE_ENCODER").as_deref(),
            Ok("1"),
            "HEARTH_REQUIRE_ENCODER=1 but {} has no model.safetensors",
            encoder.display()
        );
        println!(
            "skipped the encoder's part: no files in {}",
            encoder.display()
        );
        return;
    }
    let (encoder, classifier) = (
        encoder.display().to_string(),
        repo.join("data/safety/classifier").display().to_string(),
    );
    let semantic = [
        ("HEARTH_ENCODER_DIR", encoder.as_str()),
        ("HEARTH_CLASSIFIER_DIR", classifier.as_str()),
        ("HEARTH_SCREEN_MODEL", "required"),
    ];
    let encoded = migrate(&data, &[], &semantic).await;
    assert_eq!(
        (&encoded["indexed"], &encoded["vectors"]),
        (&json!(6), &json!(true)),
        "{encoded}"
    );
    assert_eq!(migrate(&data, &[], &semantic).await["indexed"], 0);
    let store = hearth::adapters::embedded::EmbeddedStore::open(&data).unwrap();
    let retriever = Retriever::new(std::sync::Arc::new(store), None, 64);
    let index = retriever
        .index(&UserId::parse("hal").unwrap())
        .await
        .unwrap();
    let docs: Vec<_> = index
        .docs()
        .filter(|d| d.kind == DocKind::Message)
        .collect();
    assert_eq!(docs.len(), 3);
    assert!(docs.iter().all(|d| d.vector.is_some()));
    assert!(
        docs.iter().any(|d| d.crisis),
        "the mark is kept when the vector is put"
    );
}

/// `hearth report safety` over a data dir: counts every flag by day,
/// category, locale and layer, names no one, hides counts below the
/// threshold (and a lone hidden one from the total), in JSON and CSV.
#[tokio::test]
async fn the_safety_report_counts_flags_and_names_no_one() {
    let dir = tempfile::tempdir().unwrap();
    let (mut server, url) = serve(dir.path(), &[]).await;
    let http = reqwest::Client::new();
    let (alice, bob) = ("alice-4b1f", "bob-90ce");
    let turns = [(alice, "I want to kill myself"); 5]
        .into_iter()
        .chain([(bob, "I've been cutting myself again")]);
    for (user, message) in turns {
        let tok = token(dir.path(), user).await;
        let resp = http
            .post(format!("{url}/v1/chat"))
            .bearer_auth(&tok)
            .json(&json!({ "message": message }))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        let body: Value = resp.json().await.unwrap();
        assert_eq!(body["reply"]["route"], "crisis", "{body}");
    }
    server.kill().await.unwrap();
    server.wait().await.unwrap();

    let today = chrono::Utc::now().date_naive();
    let (from, to) = (today.pred_opt().unwrap(), today.succ_opt().unwrap());
    let report = |extra: &'static [&'static str]| {
        let dir = dir.path().to_path_buf();
        async move {
            let out = hearth(&[])
                .args(["report", "safety", "--from", &from.to_string()])
                .args(["--to", &to.to_string(), "--data-dir"])
                .arg(&dir)
                .args(extra)
                .output()
                .await
                .unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            String::from_utf8(out.stdout).unwrap()
        }
    };
    let text = report(&[]).await;
    let json: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(json["total"], 6, "{json}");
    assert_eq!(json["min_count"], 5);
    let rows = json["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 2, "{json}");
    assert!(
        rows.iter().all(|r| r["count"] == "<5"),
        "bob's 1 is hidden, and alice's 5 with it (else 6 - 5 gives it away): {json}"
    );
    let open: Value = serde_json::from_str(&report(&["--min-count", "1"]).await).unwrap();
    let counts: Vec<(String, u64)> = open["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            assert_eq!(r["locale"], "en-US");
            assert_eq!(r["layer"], "rules");
            (
                r["category"].as_str().unwrap().to_string(),
                r["count"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        counts,
        [("self_harm".to_string(), 1), ("suicidal".to_string(), 5)]
    );
    let csv = report(&["--format", "csv", "--min-count", "1"]).await;
    assert!(
        csv.starts_with("day,category,locale,layer,count\n"),
        "{csv}"
    );
    assert!(
        csv.contains(&format!("{today},suicidal,en-US,rules,5\n")),
        "{csv}"
    );
    assert!(csv.ends_with("total,,,,6\n"), "{csv}");
    for out in [&text, &csv] {
        assert!(
            !out.contains(alice) && !out.contains(bob),
            "a report names no one: {out}"
        );
    }
}
