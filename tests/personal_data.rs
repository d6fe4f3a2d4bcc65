//! Export, erase and import over HTTP on the embedded store, with the
//! worker running, as a person (or a migrating team) would use them.

use hearth_tests::*;
use serde_json::{Value, json};
use std::time::Duration;
use wiremock::Mock;
use wiremock::matchers::body_string_contains;

async fn app() -> TestApp {
    let app = TestApp::start_with(Options {
        openai: true,
        ..Options::default()
    })
    .await;
    anthropic_answers(app.anthropic(), "I hear you.").await;
    app
}

fn ndjson(rows: &[Value]) -> String {
    rows.iter()
        .map(|r| r.to_string())
        .collect::<Vec<_>>()
        .join("\n")
}

fn row(session: &str, role: &str, content: &str, minute: u32, ext: Value) -> Value {
    json!({"session_id": session, "role": role, "content": content, "created_at": format!("2025-02-03T09:{minute:02}:00Z"), "external_id": ext})
}

async fn drained(app: &TestApp) {
    for _ in 0..300 {
        if app.queue.pending().await.unwrap().is_empty() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("queue not drained");
}

async fn export_all(app: &TestApp, token: &str) -> Vec<Value> {
    let mut items = Vec::new();
    let mut url = "/v1/export".to_string();
    loop {
        let (status, page) = app.get(token, &url).await;
        assert_eq!(status, 200, "{page}");
        items.extend(page["items"].as_array().unwrap().iter().cloned());
        match page["next_cursor"].as_str() {
            Some(c) => url = format!("/v1/export?cursor={c}"),
            None => return items,
        }
    }
}

#[tokio::test]
async fn import_reports_bad_lines_by_number_keeps_the_good_ones_and_is_idempotent() {
    let app = app().await;
    Mock::given(body_string_contains("memory_extraction"))
        .respond_with(openai_ok(&json!({"memories": [{"op": "add", "category": "relationships", "content": "Has a son named Leo.",
            "importance": 6, "sources": ["m1"], "target": ""}], "summary": "Leo."}).to_string()))
        .mount(app.openai())
        .await;
    let token = app.token("alice");
    let body = [
        ndjson(&[
            row(
                "supabase-7",
                "user",
                "My son Leo starts school.",
                0,
                json!(101),
            ),
            row("supabase-7", "assistant", "How exciting!", 1, json!(102)),
        ]),
        "{\"session_id\": \"supabase-7\", \"role\": \"user\"".to_string(),
        String::new(),
        ndjson(&[
            row("supabase-7", "robot", "beep", 3, json!(104)),
            row("supabase-7", "user", "He's nervous.", 4, json!(105)),
        ]),
    ]
    .join("\n");
    let (status, report) = app.post_raw(&token, "/v1/import", body.clone()).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(
        (report["imported"].as_u64(), report["skipped"].as_u64()),
        (Some(3), Some(0))
    );
    let errors = report["errors"].as_array().unwrap();
    assert_eq!(
        errors
            .iter()
            .map(|e| e["line"].as_u64().unwrap())
            .collect::<Vec<_>>(),
        vec![3, 5]
    );
    assert!(errors[1]["message"].as_str().unwrap().contains("role"));

    let (status, again) = app.post_raw(&token, "/v1/import", body).await;
    assert_eq!(status, 200);
    assert_eq!(
        (again["imported"].as_u64(), again["skipped"].as_u64()),
        (Some(0), Some(3)),
        "import twice gives one copy"
    );

    // The session id is kept as given, with the original timestamps, and
    // the worker extracts the imported history.
    let (_, messages) = app.get(&token, "/v1/sessions/supabase-7/messages").await;
    let items = messages["items"].as_array().unwrap();
    assert_eq!(items.len(), 3);
    assert_eq!(
        (
            items[0]["external_id"].as_str(),
            items[0]["created_at"].as_str()
        ),
        (Some("101"), Some("2025-02-03T09:00:00Z"))
    );
    drained(&app).await;
    let (_, memories) = app.get(&token, "/v1/memories").await;
    assert_eq!(memories["items"][0]["content"], "Has a son named Leo.");
    assert_eq!(
        memories["items"][0]["source_message_ids"],
        json!([items[0]["id"]])
    );
}

#[tokio::test]
async fn import_limits_are_413_and_a_bad_body_is_400() {
    let app = app().await;
    let token = app.token("alice");
    let huge = "x".repeat(hearth::domain::personal_data::IMPORT_MAX_BYTES + 10);
    let (status, body) = app.post_raw(&token, "/v1/import", huge).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (413, Some("too_large"))
    );
    let many: String = (0..=hearth::domain::personal_data::IMPORT_MAX_LINES)
        .map(|_| "{}\n")
        .collect();
    let (status, _) = app.post_raw(&token, "/v1/import", many).await;
    assert_eq!(status, 413);
    let (status, _) = app
        .post_raw(&token, "/v1/import", vec![0xffu8, 0xfe, 0xfd])
        .await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn export_then_erase_then_nothing_and_a_repeat_erase_deletes_nothing() {
    let app = app().await;
    Mock::given(body_string_contains("memory_extraction"))
        .respond_with(openai_ok(&json!({"memories": [{"op": "add", "category": "progress", "content": "Runs on Sundays.",
            "importance": 5, "sources": ["m1"], "target": ""}], "summary": "Running."}).to_string()))
        .mount(app.openai())
        .await;
    let (alice, bob) = (app.token("alice"), app.token("bob"));
    let (_, first) = app
        .chat(
            &alice,
            json!({"message": "I run on Sundays.", "client_message_id": "c1"}),
        )
        .await;
    let session = first["session_id"].as_str().unwrap();
    for m in ["It clears my head.", "I want to die"] {
        app.chat(&alice, json!({"message": m, "session_id": session}))
            .await;
    }
    app.chat(&bob, json!({"message": "Bob's own words"})).await;
    drained(&app).await;

    let exported = export_all(&app, &alice).await;
    let kinds: std::collections::BTreeSet<&str> = exported
        .iter()
        .map(|i| i["kind"].as_str().unwrap())
        .collect();
    for k in [
        "session",
        "message",
        "client_message_id",
        "crisis_flag",
        "activity",
        "memory",
        "summary",
        "event",
    ] {
        assert!(kinds.contains(k), "export is missing {k}: {kinds:?}");
    }
    assert!(
        !exported
            .iter()
            .any(|i| i.to_string().contains("Bob's own words"))
    );

    let (status, receipt) = app
        .send(app.http.delete(app.at("/v1/me")).bearer_auth(&alice))
        .await;
    assert_eq!(status, 200, "{receipt}");
    assert_eq!(receipt["deleted"]["message"], 6);
    // The extracted memory, and the day's "a hard day" marker that the
    // crisis turn left instead of a memory of its content.
    assert!(
        exported
            .iter()
            .any(|i| i["kind"] == "memory" && i.to_string().contains("hard-day-")),
        "{exported:?}"
    );
    assert_eq!(receipt["deleted"]["memory"], 2);
    assert_eq!(receipt["deleted"]["crisis_flag"], 1);
    assert!(export_all(&app, &alice).await.is_empty());
    let (_, again) = app
        .send(app.http.delete(app.at("/v1/me")).bearer_auth(&alice))
        .await;
    assert!(
        again["deleted"]
            .as_object()
            .unwrap()
            .values()
            .all(|n| n == 0),
        "{again}"
    );
    let (_, bobs) = app.get(&bob, "/v1/sessions").await;
    assert_eq!(
        bobs["items"].as_array().unwrap().len(),
        1,
        "Bob is untouched"
    );
}

#[tokio::test]
async fn an_erase_racing_an_extraction_job_leaves_nothing_behind() {
    let app = app().await;
    // The model holds its answer while the erase happens.
    Mock::given(body_string_contains("memory_extraction"))
        .respond_with(
            openai_ok(&json!({"memories": [{"op": "add", "category": "relationships", "content": "Has a sister named Maya.",
                "importance": 6, "sources": ["m1"], "target": ""}], "summary": "Maya."}).to_string())
            .set_delay(Duration::from_millis(1500)),
        )
        .mount(app.openai())
        .await;
    let token = app.token("alice");
    let (_, first) = app
        .chat(&token, json!({"message": "My sister Maya visits."}))
        .await;
    let session = first["session_id"].as_str().unwrap();
    for m in ["We bake.", "It's nice."] {
        app.chat(&token, json!({"message": m, "session_id": session}))
            .await;
    }
    // Wait until the job has read the messages and is waiting on the model.
    wait_for_requests(app.openai(), 1).await;
    let asked = tokio::time::Instant::now();
    let (status, receipt) = app
        .send(app.http.delete(app.at("/v1/me")).bearer_auth(&token))
        .await;
    assert_eq!(status, 200, "{receipt}");
    assert_eq!(
        receipt["deleted"]["job"], 1,
        "the in-flight job's queue entry went too"
    );
    // Let the model answer and the job try to write (the answer is held 1.5 s).
    tokio::time::sleep_until(asked + Duration::from_millis(2500)).await;
    let events = app.store.list_events(0, 100).await.unwrap();
    assert!(
        events.iter().all(|e| e.detail_type != "MemoriesUpdated"),
        "the job did not report writing anything"
    );
    assert!(
        export_all(&app, &token).await.is_empty(),
        "the job wrote nothing back"
    );
    assert!(
        app.queue.dead().await.unwrap().is_empty(),
        "the job finished cleanly"
    );
}
