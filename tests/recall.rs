//! Memory that holds on real conversations, over HTTP on the embedded
//! store with the worker running: what is stored is searchable at once
//! whatever the models are doing, a paraphrase is found through the
//! in-process encoder, dates said relatively are indexed as their days,
//! and a question nothing relates to gets nothing.

use hearth_tests::*;
use serde_json::{Value, json};
use wiremock::matchers::any;
use wiremock::{Mock, ResponseTemplate};

fn row(session: &str, role: &str, content: &str, at: &str, ext: &str) -> String {
    json!({"session_id": session, "role": role, "content": content, "created_at": at, "external_id": ext})
        .to_string()
}

async fn search(app: &TestApp, token: &str, q: &str) -> Vec<Value> {
    let (status, page) = app
        .get(token, &format!("/v1/search?q={}", urlencode(q)))
        .await;
    assert_eq!(status, 200, "{page}");
    assert!(page["next_cursor"].is_null(), "{page}");
    page["items"].as_array().expect("items").clone()
}

fn urlencode(q: &str) -> String {
    q.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'.' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Every model endpoint answers 503, as in an outage.
async fn models_down(app: &TestApp) {
    for server in [app.anthropic(), app.openai()] {
        Mock::given(any())
            .respond_with(ResponseTemplate::new(503).set_body_json(
                json!({"type": "error", "error": {"type": "overloaded_error", "message": "down"}}),
            ))
            .mount(server)
            .await;
    }
}

#[tokio::test]
async fn imported_history_is_searchable_at_once_with_every_model_down() {
    let app = TestApp::start_with(Options {
        openai: true,
        ..Options::default()
    })
    .await;
    models_down(&app).await;
    let token = app.token("ines");
    let topics = [
        "the allotment",
        "my sister Maud",
        "the night shift",
        "our cat Pesto",
        "the choir",
        "the flat in Leith",
    ];
    let lines: Vec<String> = (0..60)
        .map(|i| {
            let session = format!("old-{}", i / 10);
            let role = if i % 2 == 0 { "user" } else { "assistant" };
            let text = match topics.get(i) {
                Some(topic) => format!("Today was mostly about {topic}."),
                None => format!("Note {i}: nothing new, item{i}."),
            };
            let at = format!("2025-0{}-1{}T09:{:02}:00Z", 1 + i / 10, i % 10, i);
            row(&session, role, &text, &at, &format!("x-{i}"))
        })
        .collect();
    let (status, report) = app.post_raw(&token, "/v1/import", lines.join("\n")).await;
    assert_eq!(status, 200, "{report}");
    // Searchable as soon as the import answers: no job has to run (and
    // with the models down, none could get far).
    let hits = search(&app, &token, "Pesto").await;
    assert_eq!(hits.len(), 1, "{hits:?}");
    assert_eq!(hits[0]["text"], "Today was mostly about our cat Pesto.");
    let late = search(&app, &token, "item57").await;
    assert_eq!(late[0]["external_id"], "x-57", "{late:?}");
    let leith = search(&app, &token, "Leith flat").await;
    assert_eq!(leith[0]["external_id"], "x-5", "{leith:?}");
    let hit = &leith[0];
    for field in [
        "kind",
        "id",
        "session_id",
        "external_id",
        "text",
        "created_at",
        "score",
    ] {
        assert!(hit.get(field).is_some(), "{field} in {hit}");
    }
    assert_eq!(
        hit.as_object().unwrap().len(),
        7,
        "exactly the hit's fields: {hit}"
    );
    assert_eq!(hit["kind"], "message");
    // Another person sees none of it.
    assert!(search(&app, &app.token("other"), "Pesto").await.is_empty());
}

#[tokio::test]
async fn yesterday_in_a_message_is_indexed_as_its_date() {
    let app = TestApp::start().await;
    let token = app.token("noor");
    let lines = [
        row(
            "s-1",
            "user",
            "Yesterday I finally went to the dentist.",
            "2026-03-10T18:00:00Z",
            "d-1",
        ),
        row(
            "s-1",
            "assistant",
            "Well done for going.",
            "2026-03-10T18:01:00Z",
            "d-2",
        ),
        row(
            "s-0",
            "user",
            "Nothing much happened today.",
            "2026-03-02T18:00:00Z",
            "d-0",
        ),
    ]
    .join("\n");
    let (status, report) = app.post_raw(&token, "/v1/import", lines).await;
    assert_eq!(status, 200, "{report}");
    // The question shares no word with the message: only its resolved
    // date (9 March, the day before it was said) finds it.
    let hits = search(&app, &token, "What did I do on 9 March 2026?").await;
    assert_eq!(hits[0]["external_id"], "d-1", "{hits:?}");
    assert_eq!(hits[0]["created_at"], "2026-03-10T18:00:00Z");
    assert!(
        hits.iter().all(|h| h["external_id"] != "d-0"),
        "not everything said in March: {hits:?}"
    );
    // The day it was said is its date too.
    let said = search(&app, &token, "2 March 2026").await;
    assert_eq!(said.len(), 1, "{said:?}");
    assert_eq!(said[0]["external_id"], "d-0");
}

#[tokio::test]
async fn a_paraphrase_that_shares_no_word_is_found_through_the_encoder() {
    let Some(risk) = real_risk_model() else {
        return;
    };
    let app = TestApp::start_with(Options {
        openai: true,
        risk: Some(risk),
        ..Options::default()
    })
    .await;
    models_down(&app).await;
    let token = app.token("omar");
    let said = [
        "I just started as a warehouse supervisor at the depot.",
        "My grandmother taught me to bake bread.",
        "The rain has not stopped for three days.",
        "I have been learning the guitar in the evenings.",
        "We adopted a rescue greyhound called Biscuit.",
        "My knee hurts after the long walk.",
    ];
    let lines: Vec<String> = said
        .iter()
        .enumerate()
        .map(|(i, t)| {
            row(
                "s-1",
                "user",
                t,
                &format!("2026-02-0{}T10:00:00Z", i + 1),
                &format!("p-{i}"),
            )
        })
        .collect();
    let (status, report) = app.post_raw(&token, "/v1/import", lines.join("\n")).await;
    assert_eq!(status, 200, "{report}");
    // The worker encodes the imported lines in batches, models or not.
    indexed_with_vectors(&app, "omar", said.len(), 60).await;
    let hits = search(&app, &token, "new role at work").await;
    assert_eq!(
        hits.first().and_then(|h| h["external_id"].as_str()),
        Some("p-0"),
        "{hits:?}"
    );
    // Unrelated things stay below the floor rather than filling the list.
    assert!(hits.len() < said.len(), "{hits:?}");
}

#[tokio::test]
async fn an_irrelevant_question_gets_no_memories_and_search_answers_nothing() {
    let Some(risk) = real_risk_model() else {
        return;
    };
    let app = TestApp::start_with(Options {
        openai: true,
        risk: Some(risk),
        ..Options::default()
    })
    .await;
    extraction_answers(
        app.openai(),
        json!({"memories": [
            fact("add", "relationships", "Has a son named Leo who is starting school.", &["m1"], ""),
            fact("add", "work_and_life", "Works nights as a nurse at the hospital.", &["m1"], "")],
         "summary": "Leo starts school; night shifts are tiring."}),
    )
    .await;
    anthropic_answers(app.anthropic(), "I hear you.").await;
    let token = app.token("rosa");
    six_messages(
        &app,
        &token,
        None,
        [
            "My son Leo starts school next week.",
            "My night shifts at the hospital are tiring.",
            "I worry he will miss me.",
        ],
    )
    .await;
    drained(&app).await;
    assert_eq!(
        memories(&app, &token, "").await.len(),
        2,
        "the job stored memories"
    );
    // In new sessions: a related message is given them; an unrelated one is not.
    let (status, related) = app
        .chat(&token, json!({"message": "How will Leo cope with school?"}))
        .await;
    assert_eq!(status, 200, "{related}");
    assert!(
        related["context"]["memories"].as_u64().unwrap() >= 1,
        "{related}"
    );
    let (status, unrelated) = app
        .chat(
            &token,
            json!({"message": "Which planet has the most moons?"}),
        )
        .await;
    assert_eq!(status, 200, "{unrelated}");
    assert_eq!(unrelated["context"]["memories"], 0, "{unrelated}");
    assert_eq!(unrelated["memories_used"], json!([]), "{unrelated}");
    let sent = reply_requests(app.anthropic()).await.pop().unwrap();
    let system = sent["system"].as_str().unwrap();
    assert!(!system.contains("Leo"), "{system}");
    // Nothing said relates to this (the question above is now said, so
    // search is asked another).
    let hits = search(&app, &token, "Tell me about volcano eruptions.").await;
    assert!(hits.is_empty(), "{hits:?}");
}

/// A second process on the same store: its own app (a cold retriever) and
/// router, as a new Lambda container would be.
async fn cold_process(warm: &TestApp) -> (String, reqwest::Client) {
    let env = [
        ("HEARTH_JWT_SECRET", SECRET.to_string()),
        ("ANTHROPIC_API_KEY", "sk-ant-test".to_string()),
        ("ANTHROPIC_BASE_URL", warm.anthropic().uri()),
    ];
    let config = hearth::config::Config::from_env(
        |k| env.iter().find(|(n, _)| *n == k).map(|(_, v)| v.clone()),
        hearth::config::Mode::Lambda,
    )
    .expect("config");
    let app = std::sync::Arc::new(hearth::app::App::new(
        &config,
        warm.store.ports(warm.queue.clone()),
        reqwest::Client::new(),
    ));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let router = hearth::http::router(app);
    tokio::spawn(async move {
        axum::serve(listener, router).await.expect("serve");
    });
    (url, reqwest::Client::new())
}

#[tokio::test]
async fn a_cold_process_serves_search_from_the_index_snapshot() {
    use hearth::ports::MemoryStore;
    let app = TestApp::start_with(Options {
        openai: true,
        ..Options::default()
    })
    .await;
    extraction_answers(app.openai(), json!({"memories": [], "summary": "A chat."})).await;
    anthropic_answers(app.anthropic(), "I hear you.").await;
    let token = app.token("wen");
    let user = hearth::domain::ids::UserId::parse("wen").unwrap();
    // Enough turns for the worker to compact: each turn indexes its message
    // and its reply on write, and every sixth message an extraction runs.
    let mut session: Option<String> = None;
    for i in 0..110 {
        let line = if i == 0 {
            "My grandmother taught me to bake cardamom buns on Sundays.".to_string()
        } else {
            format!("Another ordinary day at the office, number {i}.")
        };
        let mut body = json!({"message": line});
        if let Some(s) = &session {
            body["session_id"] = json!(s);
        }
        let (status, turn) = app.chat(&token, body).await;
        assert_eq!(status, 200, "{turn}");
        session = Some(turn["session_id"].as_str().unwrap().to_string());
    }
    drained(&app).await;
    let snapshot = app
        .store
        .index_snapshot(&user)
        .await
        .unwrap()
        .expect("the worker wrote a snapshot");
    let after = app.store.index_entries(&user, 0, 10).await.unwrap();
    assert!(
        after.entries.first().is_none_or(|e| e.seq > 1),
        "the entries the snapshot covers were dropped"
    );
    assert!(snapshot.through >= 200, "through {}", snapshot.through);

    // A new process: its index comes from the snapshot and what followed.
    let (url, http) = cold_process(&app).await;
    let res = http
        .get(format!("{url}/v1/search?q={}", urlencode("cardamom buns")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let page: Value = res.json().await.unwrap();
    let items = page["items"].as_array().unwrap();
    assert!(
        items
            .first()
            .is_some_and(|h| h["text"].as_str().unwrap().contains("cardamom")),
        "{page}"
    );
    // And the latest turn, written after the snapshot, is there too.
    let res = http
        .get(format!(
            "{url}/v1/search?q={}",
            urlencode("office number 109")
        ))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    let page: Value = res.json().await.unwrap();
    assert!(
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h["text"].as_str().unwrap().contains("number 109")),
        "{page}"
    );
}
