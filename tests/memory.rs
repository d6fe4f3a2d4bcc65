//! The memory pipeline end to end on the embedded store: chat turns through
//! the API, the extraction job run by the in-process worker, against a fake
//! OpenAI-compatible server (the deep role) that speaks the real wire format.

use hearth::domain::ids::{SessionId, UserId};
use hearth::domain::jobs::Job;
use hearth::ports::{JobQueue, MemoryStore};
use hearth_tests::*;
use serde_json::json;
use std::time::Duration;
use wiremock::matchers::body_string_contains;
use wiremock::{Mock, ResponseTemplate};

async fn app() -> TestApp {
    let app = TestApp::start_with(Options {
        openai: true,
        ..Options::default()
    })
    .await;
    anthropic_answers(app.anthropic(), "I hear you.").await;
    app
}

fn state_of(
    app: &TestApp,
    user: &str,
    session: &str,
) -> impl std::future::Future<Output = hearth::domain::memory::ExtractionState> {
    let (store, user, session) = (
        app.store.clone(),
        UserId::parse(user).unwrap(),
        SessionId::parse(session).unwrap(),
    );
    async move { store.extraction_state(&user, &session).await.unwrap() }
}

#[tokio::test]
async fn the_sixth_message_enqueues_one_job_that_stores_memories_with_provenance_and_a_summary() {
    let app = app().await;
    extraction_answers(
        app.openai(),
        json!({"memories": [fact("add", "relationships", "Has a sister named Maya who visits on Fridays.", &["m1"], "")],
               "summary": "They talked about Maya's visits."}),
    )
    .await;
    let token = app.token("alice");
    let (_, first) = app
        .chat(
            &token,
            json!({"message": "My sister Maya visits on Fridays."}),
        )
        .await;
    let session = first["session_id"].as_str().unwrap().to_string();
    app.chat(
        &token,
        json!({"message": "We bake together.", "session_id": session}),
    )
    .await;
    assert!(
        app.queue.pending().await.unwrap().is_empty()
            && extraction_requests(app.openai()).await.is_empty(),
        "not yet: 4 messages"
    );
    app.chat(
        &token,
        json!({"message": "It helps me relax.", "session_id": session}),
    )
    .await;
    drained(&app).await;

    assert_eq!(
        extraction_requests(app.openai()).await.len(),
        1,
        "one job, one model call"
    );
    let items = memories(&app, &token, "").await;
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["category"], "relationships");
    assert_eq!(
        items[0]["source_message_ids"],
        json!([first["user_message_id"]]),
        "provenance is the real message id"
    );
    assert_eq!(items[0]["edited"], false);
    let state = state_of(&app, "alice", &session).await;
    assert_eq!(
        (state.extracted_through, state.summary.as_deref()),
        (6, Some("They talked about Maya's visits."))
    );
    let sent = extraction_requests(app.openai()).await.remove(0);
    assert_eq!(sent["response_format"]["type"], "json_schema");
    // Each message with the date it was written, so the model can write
    // absolute dates.
    let today = chrono::Utc::now().format("%a %-d %B %Y").to_string();
    let content = sent["messages"][1]["content"].as_str().unwrap();
    assert!(
        content.contains(&format!(
            "m1: {today}: person: My sister Maya visits on Fridays."
        )),
        "{content}"
    );
    let events = app.store.list_events(0, 10).await.unwrap();
    assert!(events.iter().any(|e| e.detail_type == "MemoriesUpdated"));
}

#[tokio::test]
async fn concurrent_turns_still_enqueue_one_job() {
    let app = app().await;
    extraction_answers(
        app.openai(),
        json!({"memories": [], "summary": "Small talk."}),
    )
    .await;
    let token = app.token("alice");
    let session = six_messages(&app, &token, None, ["one", "two", "three"]).await;
    drained(&app).await;
    let racers: Vec<_> = (0..4)
        .map(|i| {
            let (url, token, session) = (app.url.clone(), token.clone(), session.clone());
            tokio::spawn(async move {
                reqwest::Client::new()
                    .post(format!("{url}/v1/chat"))
                    .bearer_auth(token)
                    .json(&json!({"message": format!("race {i}"), "session_id": session}))
                    .send()
                    .await
                    .unwrap()
                    .status()
            })
        })
        .collect();
    for r in racers {
        assert_eq!(r.await.unwrap(), 200);
    }
    drained(&app).await;
    // 14 messages: one job for 1-6, then exactly one more, claimed by the
    // first racing reply to see 6 or more unread messages. The four user
    // messages and four replies interleave freely, so that reply's seq (the
    // job's end) is anywhere from 12 to 14.
    assert_eq!(extraction_requests(app.openai()).await.len(), 2);
    let through = state_of(&app, "alice", &session).await.extracted_through;
    assert!((12..=14).contains(&through), "extracted through {through}");
}

#[tokio::test]
async fn three_deliveries_of_a_job_leave_the_memory_set_of_one() {
    let app = app().await;
    extraction_answers(app.openai(), json!({"memories": [fact("add", "work_and_life", "Works night shifts.", &["m1"], "")], "summary": "Work."})).await;
    let token = app.token("alice");
    let session = six_messages(
        &app,
        &token,
        None,
        ["I work nights.", "It's tiring.", "Anyway."],
    )
    .await;
    drained(&app).await;
    let before = memories(&app, &token, "?include_superseded=true").await;
    let job = Job::ExtractSession {
        user: UserId::parse("alice").unwrap(),
        session_id: SessionId::parse(&session).unwrap(),
        from_seq: 1,
        to_seq: 6,
    };
    for _ in 0..2 {
        app.queue.enqueue(&job).await.unwrap();
    }
    drained(&app).await;
    assert_eq!(
        memories(&app, &token, "?include_superseded=true").await,
        before
    );
    assert_eq!(
        extraction_requests(app.openai()).await.len(),
        1,
        "redeliveries make no model call"
    );
}

#[tokio::test]
async fn supersede_keeps_the_history() {
    let app = app().await;
    let server = app.openai();
    Mock::given(body_string_contains("memory_extraction"))
        .respond_with(openai_ok(&json!({"memories": [fact("add", "work_and_life", "Works as an accountant.", &["m1"], "")], "summary": "Job talk."}).to_string()))
        .up_to_n_times(1)
        .mount(server)
        .await;
    extraction_answers(server, json!({"memories": [fact("supersede", "work_and_life", "Works at a bakery now.", &["m1"], "k1")], "summary": "New job."})).await;
    let token = app.token("alice");
    let session = six_messages(
        &app,
        &token,
        None,
        ["I'm an accountant.", "Numbers all day.", "Fine."],
    )
    .await;
    drained(&app).await;
    six_messages(
        &app,
        &token,
        Some(&session),
        [
            "I quit! I work at a bakery now.",
            "Flour everywhere.",
            "Happy.",
        ],
    )
    .await;
    drained(&app).await;

    let active = memories(&app, &token, "").await;
    assert_eq!(active.len(), 1);
    assert_eq!(active[0]["content"], "Works at a bakery now.");
    let all = memories(
        &app,
        &token,
        "?include_superseded=true&category=work_and_life",
    )
    .await;
    assert_eq!(all.len(), 2);
    let old = all
        .iter()
        .find(|m| m["content"] == "Works as an accountant.")
        .unwrap();
    assert_eq!(old["superseded_by"], active[0]["id"]);
    assert!(old["ended_at"].is_string());
    // The second job saw the first memory under a handle.
    let second = extraction_requests(server).await.remove(1);
    assert!(
        second["messages"][1]["content"]
            .as_str()
            .unwrap()
            .contains("k1: [work_and_life] Works as an accountant.")
    );
}

#[tokio::test]
async fn malformed_and_truncated_output_is_retried_then_dead_lettered_with_nothing_written() {
    for bad in [
        openai_ok("{\"memories\": [{\"op\": \"add\""),
        ResponseTemplate::new(200).set_body_json(json!({
            "choices": [{"index": 0, "message": {"role": "assistant", "content": "{\"memories\":[],\"summary\":\"cut"}, "finish_reason": "length"}],
            "usage": {"prompt_tokens": 10, "completion_tokens": 512}
        })),
    ] {
        let app = app().await;
        Mock::given(body_string_contains("memory_extraction")).respond_with(bad).mount(app.openai()).await;
        let token = app.token("alice");
        let session = six_messages(&app, &token, None, ["a", "b", "c"]).await;
        drained(&app).await;
        let dead = app.queue.dead().await.unwrap();
        assert_eq!(dead.len(), 1);
        assert_eq!(dead[0].receive_count, 3, "retried up to max receives");
        assert!(dead[0].last_error.as_deref().unwrap().contains("extraction JSON") || dead[0].last_error.as_deref().unwrap().contains("cut off"));
        assert_eq!(extraction_requests(app.openai()).await.len(), 3);
        assert!(memories(&app, &token, "?include_superseded=true").await.is_empty());
        let state = state_of(&app, "alice", &session).await;
        assert_eq!((state.extracted_through, state.summary), (0, None));
    }
}

#[tokio::test]
async fn a_forgotten_memory_stays_forgotten_after_re_extraction() {
    let app = app().await;
    extraction_answers(app.openai(), json!({"memories": [fact("add", "relationships", "Has a brother named Tom.", &["m1"], "")], "summary": "Family."})).await;
    let token = app.token("alice");
    let session = six_messages(
        &app,
        &token,
        None,
        ["My brother Tom called.", "We argued.", "Ugh."],
    )
    .await;
    drained(&app).await;
    let id = memories(&app, &token, "").await[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (status, body) = app
        .send(
            app.http
                .delete(app.at(&format!("/v1/memories/{id}")))
                .bearer_auth(&token),
        )
        .await;
    assert_eq!(
        (status, body["forgotten"].as_str()),
        (200, Some(id.as_str()))
    );
    // The next job's model brings the same fact up again.
    six_messages(
        &app,
        &token,
        Some(&session),
        ["Tom again.", "Still annoyed.", "Whatever."],
    )
    .await;
    drained(&app).await;
    assert_eq!(extraction_requests(app.openai()).await.len(), 2);
    assert!(
        memories(&app, &token, "?include_superseded=true")
            .await
            .is_empty()
    );
    let (status, _) = app
        .send(
            app.http
                .delete(app.at(&format!("/v1/memories/{id}")))
                .bearer_auth(&token),
        )
        .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn an_edited_memory_is_not_overwritten() {
    let app = app().await;
    let server = app.openai();
    Mock::given(body_string_contains("memory_extraction"))
        .respond_with(openai_ok(&json!({"memories": [fact("add", "values_and_coping", "Likes tea.", &["m1"], "")], "summary": "Tea."}).to_string()))
        .up_to_n_times(1)
        .mount(server)
        .await;
    extraction_answers(server, json!({"memories": [fact("update", "values_and_coping", "Likes black tea.", &["m1"], "k1")], "summary": "More tea."})).await;
    let token = app.token("alice");
    let session = six_messages(&app, &token, None, ["I like tea.", "Green mostly.", "Yes."]).await;
    drained(&app).await;
    let id = memories(&app, &token, "").await[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (status, edited) = app
        .send(
            app.http
                .patch(app.at(&format!("/v1/memories/{id}")))
                .bearer_auth(&token)
                .json(&json!({"content": "Loves green tea.", "importance": 9})),
        )
        .await;
    assert_eq!(status, 200, "{edited}");
    assert_eq!(
        (edited["edited"].as_bool(), edited["importance"].as_u64()),
        (Some(true), Some(9))
    );
    six_messages(
        &app,
        &token,
        Some(&session),
        ["Tea time.", "Lovely.", "Bye."],
    )
    .await;
    drained(&app).await;
    let now = memories(&app, &token, "").await;
    assert_eq!(now.len(), 1);
    assert_eq!(now[0]["content"], "Loves green tea.");
    assert_eq!(
        state_of(&app, "alice", &session).await.extracted_through,
        12
    );
}

#[tokio::test]
async fn an_idle_short_session_is_extracted() {
    let app = app().await;
    extraction_answers(app.openai(), json!({"memories": [fact("add", "progress", "Went for a run today.", &["m1"], "")], "summary": "A run."})).await;
    let token = app.token("alice");
    let (_, turn) = app
        .chat(&token, json!({"message": "I went for a run today!"}))
        .await;
    drained(&app).await;
    assert!(
        extraction_requests(app.openai()).await.is_empty(),
        "two messages: no trigger"
    );
    let mut sweep = app.app.idle_sweep();
    sweep.idle = Duration::ZERO;
    assert_eq!(sweep.run().await.unwrap(), 1);
    assert_eq!(sweep.run().await.unwrap(), 0, "claimed once");
    drained(&app).await;
    assert_eq!(memories(&app, &token, "").await.len(), 1);
    assert_eq!(
        state_of(&app, "alice", turn["session_id"].as_str().unwrap())
            .await
            .extracted_through,
        2
    );
}

#[tokio::test]
async fn one_users_job_never_touches_another_users_data() {
    let app = app().await;
    extraction_answers(app.openai(), json!({"memories": [fact("add", "progress", "Ran a marathon.", &["m1"], "")], "summary": "x"})).await;
    let alice = app.token("alice");
    let (_, turn) = app.chat(&alice, json!({"message": "hello"})).await;
    let session = turn["session_id"].as_str().unwrap();
    // A job naming Alice's session but Bob as its user.
    let job = Job::ExtractSession {
        user: UserId::parse("bob").unwrap(),
        session_id: SessionId::parse(session).unwrap(),
        from_seq: 1,
        to_seq: 2,
    };
    app.queue.enqueue(&job).await.unwrap();
    drained(&app).await;
    assert!(
        extraction_requests(app.openai()).await.is_empty(),
        "Bob has no such messages to read"
    );
    assert!(memories(&app, &app.token("bob"), "").await.is_empty());
    assert!(memories(&app, &alice, "").await.is_empty());
    assert_eq!(state_of(&app, "alice", session).await.extracted_through, 0);
}

#[tokio::test]
async fn memory_endpoints_refuse_bad_input_and_other_peoples_memories() {
    let app = app().await;
    extraction_answers(app.openai(), json!({"memories": [fact("add", "progress", "Ran a marathon.", &["m1"], "")], "summary": "x"})).await;
    let token = app.token("alice");
    six_messages(
        &app,
        &token,
        None,
        ["I ran a marathon!", "So proud.", "Yes."],
    )
    .await;
    drained(&app).await;
    let id = memories(&app, &token, "").await[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let bob = app.token("bob");
    let url = app.at(&format!("/v1/memories/{id}"));
    let (status, _) = app
        .send(
            app.http
                .patch(&url)
                .bearer_auth(&bob)
                .json(&json!({"importance": 1})),
        )
        .await;
    assert_eq!(status, 404);
    let (status, _) = app.send(app.http.delete(&url).bearer_auth(&bob)).await;
    assert_eq!(status, 404);
    for (body, why) in [
        (json!({}), "nothing"),
        (json!({"importance": 11}), "importance"),
        (json!({"content": ""}), "content"),
        (json!({"colour": "red"}), "unknown"),
    ] {
        let (status, err) = app
            .send(app.http.patch(&url).bearer_auth(&token).json(&body))
            .await;
        assert_eq!(status, 400, "{why}: {err}");
    }
    let (status, _) = app.get(&token, "/v1/memories?category=hobbies").await;
    assert_eq!(status, 400);
    let (status, _) = app
        .get(&token, "/v1/memories?include_superseded=maybe")
        .await;
    assert_eq!(status, 400);
    assert_eq!(memories(&app, &token, "?category=progress").await.len(), 1);
    assert!(
        memories(&app, &token, "?category=relationships")
            .await
            .is_empty()
    );
}

#[tokio::test]
async fn a_memory_from_session_one_is_in_the_first_reply_of_session_two() {
    let app = app().await;
    extraction_answers(
        app.openai(),
        json!({"memories": [fact("add", "relationships", "Has a sister named Maya who visits on Fridays.", &["m1"], "")],
               "summary": "They talked about Maya's Friday visits."}),
    )
    .await;
    let token = app.token("alice");
    let first = six_messages(
        &app,
        &token,
        None,
        [
            "My sister Maya visits on Fridays.",
            "We bake bread.",
            "I love it.",
        ],
    )
    .await;
    drained(&app).await;
    let memory_id = memories(&app, &token, "").await[0]["id"]
        .as_str()
        .unwrap()
        .to_string();

    // A new session: nothing of session one is in its turns.
    let (status, reply) = app
        .chat(
            &token,
            json!({"message": "Maya is coming over tomorrow and I'm nervous."}),
        )
        .await;
    assert_eq!(status, 200, "{reply}");
    let sent = reply_requests(app.anthropic()).await.pop().unwrap();
    let system = sent["system"].as_str().unwrap();
    assert!(
        system.contains("Has a sister named Maya who visits on Fridays."),
        "{system}"
    );
    assert_eq!(
        sent["messages"].as_array().unwrap().len(),
        1,
        "a fresh session's only turn"
    );
    // The earlier session's summary relates to the message too: the
    // support route sees it (new sessions keep what earlier ones learned).
    let summary = format!("summary:{first}");
    assert_eq!(reply["memories_used"], json!([memory_id, summary]));
    assert!(
        system.contains("They talked about Maya's Friday visits."),
        "{system}"
    );
    assert_eq!(reply["context"]["memories"], 1);
    // The stored reply says what it was given.
    let (_, messages) = app
        .get(
            &token,
            &format!(
                "/v1/sessions/{}/messages",
                reply["session_id"].as_str().unwrap()
            ),
        )
        .await;
    assert_eq!(
        messages["items"][1]["memories_used"],
        json!([memory_id, summary])
    );
}

#[tokio::test]
async fn a_boundary_keeps_its_topic_out_until_the_person_raises_it() {
    let app = app().await;
    extraction_answers(
        app.openai(),
        json!({"memories": [
            fact("add", "triggers_and_boundaries", "Does not want to talk about her divorce.", &["m1"], ""),
            fact("add", "relationships", "Her divorce was finalised in March.", &["m1"], ""),
            fact("add", "values_and_coping", "Cooking in March helps her unwind.", &["m3"], "")],
         "summary": "She mentioned her divorce and asked not to discuss it."}),
    )
    .await;
    let token = app.token("alice");
    let session = six_messages(
        &app,
        &token,
        None,
        [
            "My divorce was finalised in March. I don't want to talk about it.",
            "OK.",
            "I like cooking.",
        ],
    )
    .await;
    drained(&app).await;
    assert_eq!(memories(&app, &token, "").await.len(), 3);

    // A message that shares a word ("March") with the divorce memory.
    let (_, reply) = app
        .chat(
            &token,
            json!({"message": "Any ideas for cooking in March?", "session_id": session}),
        )
        .await;
    let sent = reply_requests(app.anthropic()).await.pop().unwrap();
    let system = sent["system"].as_str().unwrap();
    assert!(
        system.contains("Cooking in March helps her unwind."),
        "{system}"
    );
    assert!(
        !system.contains("finalised"),
        "the boundary keeps the divorce out: {system}"
    );
    assert!(
        !system.contains("asked not to discuss it"),
        "and the summary that mentions it"
    );
    assert!(
        !system.contains("My divorce was finalised"),
        "and the message that told it"
    );
    // The cooking memory, and the boundary itself (so the model knows it).
    assert_eq!(reply["context"]["memories"], 2);

    // When she raises it herself, Hearth may use what it knows.
    app.chat(
        &token,
        json!({"message": "The divorce papers from March arrived.", "session_id": session}),
    )
    .await;
    let system = reply_requests(app.anthropic()).await.pop().unwrap()["system"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        system.contains("Her divorce was finalised in March."),
        "{system}"
    );
}
