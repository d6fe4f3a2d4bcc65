//! Daily check-ins, push and the journal, on the embedded store with fake
//! model servers, a fake OAuth2 token endpoint and a fake FCM server that
//! speak the real wire formats. Passes run at fixed instants.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use hearth::adapters::fcm::FcmPush;
use hearth::domain::checkin::{CheckIn, FALLBACK};
use hearth::domain::extraction::{MemoryWrite, Plan};
use hearth::domain::ids::{MemoryId, MessageId, SessionId, UserId};
use hearth::domain::memory::{Category, Memory};
use hearth::domain::message::NewUserMessage;
use hearth::domain::page::PageRequest;
use hearth::domain::retrieval::job_ops;
use hearth::domain::safety::CrisisCategory;
use hearth::domain::safety::flag::Flagged;
use hearth::ports::{
    CheckinStore, ConversationStore, MemoryStore, Push, PushNotification, PushOutcome,
};
use hearth::service::checkin::PassReport;
use hearth_tests::*;
use serde_json::{Value, json};
use wiremock::matchers::{body_string_contains, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const RSA_A: &str = include_str!("fixtures/rsa-a.pem");
const RSA_A_PUB: &[u8] = include_bytes!("fixtures/rsa-a.pub.pem");

fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

async fn say(
    app: &TestApp,
    user: &str,
    when: DateTime<Utc>,
    text: &str,
    crisis: Option<CrisisCategory>,
) -> SessionId {
    let t = app
        .store
        .record_user_message(
            &UserId::parse(user).unwrap(),
            NewUserMessage {
                remember: true,
                session_id: None,
                content: text.into(),
                client_message_id: None,
                created_at: when,
                crisis: crisis.map(|c| Flagged::by_rule(c, "not_want_to_live")),
            },
        )
        .await
        .unwrap();
    t.session.id
}

async fn settings(app: &TestApp, user: &str, body: Value) {
    let (status, saved) = app
        .send(
            app.http
                .put(app.at("/v1/me/settings"))
                .bearer_auth(app.token(user))
                .json(&body),
        )
        .await;
    assert_eq!(status, 200, "{saved}");
}

async fn pass(app: &TestApp, when: DateTime<Utc>) -> PassReport {
    app.app.checkin_pass().run(when).await.unwrap()
}

async fn checkins(app: &TestApp, user: &str) -> Vec<CheckIn> {
    app.store
        .list_checkins(&UserId::parse(user).unwrap(), &PageRequest::first(100))
        .await
        .unwrap()
        .items
}

async fn checkin_app(line: &str) -> TestApp {
    let app = TestApp::start().await;
    anthropic_answers(app.anthropic(), line).await;
    app
}

#[tokio::test]
async fn tokyo_and_new_york_each_get_theirs_at_their_own_hour_once_a_day() {
    let app = checkin_app("How did today go?").await;
    settings(
        &app,
        "kenji",
        json!({"timezone": "Asia/Tokyo", "checkin_hour": 19}),
    )
    .await;
    settings(
        &app,
        "ana",
        json!({"timezone": "America/New_York", "checkin_hour": 19}),
    )
    .await;
    for u in ["kenji", "ana"] {
        say(
            &app,
            u,
            at("2026-11-24T20:00:00Z"),
            "Long day at work.",
            None,
        )
        .await;
    }
    let mut written = Vec::new();
    for h in 1..=24 {
        let when = at("2026-11-24T20:00:00Z") + Duration::hours(h);
        let r = pass(&app, when).await;
        for _ in 0..r.written {
            written.push(when);
        }
    }
    assert_eq!(
        written,
        [at("2026-11-25T00:00:00Z"), at("2026-11-25T10:00:00Z")],
        "19:00 in New York, then 19:00 in Tokyo"
    );
    let kenji = checkins(&app, "kenji").await;
    assert_eq!(
        (kenji.len(), kenji[0].local_date),
        (1, NaiveDate::from_ymd_opt(2026, 11, 25).unwrap())
    );
    let ana = checkins(&app, "ana").await;
    assert_eq!(
        (ana.len(), ana[0].local_date),
        (1, NaiveDate::from_ymd_opt(2026, 11, 24).unwrap()),
        "her local date, not UTC's"
    );
    // The same pass again: nothing new, no second model call.
    let calls = reply_requests(app.anthropic()).await.len();
    let again = pass(&app, at("2026-11-25T10:00:00Z")).await;
    assert_eq!((again.written, again.already), (0, 1));
    assert_eq!(reply_requests(app.anthropic()).await.len(), calls);
    // Listed over the API, and announced.
    let (status, body) = app.get(&app.token("kenji"), "/v1/checkins").await;
    assert_eq!(status, 200);
    assert_eq!(body["items"][0]["text"], "How did today go?");
    let events = app.store.list_events(0, 100).await.unwrap();
    assert_eq!(
        events
            .iter()
            .filter(|e| e.detail_type == "CheckInReady")
            .count(),
        2
    );
}

#[tokio::test]
async fn a_week_across_the_end_of_daylight_saving_neither_skips_nor_doubles_a_day() {
    let app = checkin_app("How are you doing tonight?").await;
    settings(
        &app,
        "dana",
        json!({"timezone": "America/New_York", "checkin_hour": 19}),
    )
    .await;
    // She talks every morning (14:00 UTC); a pass runs every hour.
    let mut when = at("2026-10-28T14:00:00Z");
    while when <= at("2026-11-04T12:00:00Z") {
        if chrono::Timelike::hour(&when) == 14 {
            say(
                &app,
                "dana",
                when - Duration::minutes(5),
                "Morning coffee and a walk.",
                None,
            )
            .await;
        }
        pass(&app, when).await;
        when += Duration::hours(1);
    }
    let mut got = checkins(&app, "dana").await;
    got.reverse();
    let dates: Vec<String> = got.iter().map(|c| c.local_date.to_string()).collect();
    assert_eq!(
        dates,
        [
            "2026-10-28",
            "2026-10-29",
            "2026-10-30",
            "2026-10-31",
            "2026-11-01",
            "2026-11-02",
            "2026-11-03"
        ]
    );
    let utc_hours: Vec<u32> = got
        .iter()
        .map(|c| chrono::Timelike::hour(&c.created_at))
        .collect();
    assert_eq!(
        utc_hours,
        [23, 23, 23, 23, 0, 0, 0],
        "19:00 EDT is 23:00 UTC; from 1 November, 19:00 EST is 00:00 UTC"
    );
}

#[tokio::test]
async fn the_opted_out_and_the_inactive_get_none() {
    let app = checkin_app("How did it go?").await;
    for u in ["olive", "ivan", "carl"] {
        settings(&app, u, json!({"checkin_hour": 12})).await;
    }
    settings(&app, "olive", json!({"checkins_enabled": false})).await;
    let when = at("2026-11-25T12:00:00Z");
    say(
        &app,
        "olive",
        when - Duration::hours(1),
        "Busy morning.",
        None,
    )
    .await;
    say(
        &app,
        "ivan",
        when - Duration::hours(30),
        "Yesterday's news.",
        None,
    )
    .await;
    say(
        &app,
        "carl",
        when - Duration::hours(1),
        "Busy morning.",
        None,
    )
    .await;
    let r = pass(&app, when).await;
    assert_eq!((r.considered, r.written), (3, 1), "{r:?}");
    assert!(checkins(&app, "olive").await.is_empty(), "opted out");
    assert!(
        checkins(&app, "ivan").await.is_empty(),
        "last talked 30 hours before the pass"
    );
    assert_eq!(checkins(&app, "carl").await.len(), 1);
    let (status, err) = app
        .send(
            app.http
                .put(app.at("/v1/me/settings"))
                .bearer_auth(app.token("carl"))
                .json(&json!({"timezone": "Mars/Olympus"})),
        )
        .await;
    assert_eq!(status, 400);
    assert!(
        err["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("timezone"),
        "{err}"
    );
    let (_, s) = app.get(&app.token("nobody"), "/v1/me/settings").await;
    assert_eq!(
        s,
        json!({"timezone": "UTC", "checkin_hour": 19, "checkins_enabled": true, "locale": "en-US", "age_band": "unknown"}),
        "defaults"
    );
}

#[tokio::test]
async fn the_check_in_request_carries_a_memory_from_an_earlier_session() {
    let app = checkin_app("Good luck at the interview on Thursday!").await;
    settings(&app, "mia", json!({"checkin_hour": 18})).await;
    let when = at("2026-11-25T18:00:00Z");
    let user = UserId::parse("mia").unwrap();
    let first = say(
        &app,
        "mia",
        when - Duration::days(3),
        "I have an interview at the library on Thursday.",
        None,
    )
    .await;
    let m = Memory {
        id: MemoryId::generate(),
        category: Category::WorkAndLife,
        content: "Has a job interview at the library on Thursday.".into(),
        importance: 8,
        source_message_ids: vec![MessageId::parse("m1").unwrap()],
        session_id: first.clone(),
        created_at: when - Duration::days(3),
        updated_at: when - Duration::days(3),
        ended_at: None,
        superseded_by: None,
        edited: false,
    };
    let index = job_ops(
        &[],
        std::slice::from_ref(&m),
        &first,
        "Talked about the interview.",
        when - Duration::days(3),
        &Default::default(),
    );
    let plan = Plan {
        writes: vec![MemoryWrite {
            memory: m,
            seen_updated_at: None,
        }],
        summary: "Talked about the interview.".into(),
        added: 1,
        index,
    };
    app.store
        .apply_extraction(&user, &first, 0, 1, &plan, when - Duration::days(3))
        .await
        .unwrap();
    say(
        &app,
        "mia",
        when - Duration::hours(2),
        "Feeling nervous today.",
        None,
    )
    .await;

    assert_eq!(pass(&app, when).await.written, 1);
    let sent = reply_requests(app.anthropic()).await.pop().unwrap();
    assert_eq!(sent["model"], "claude-haiku-4-5");
    assert_eq!(sent["max_tokens"], 50);
    assert!((sent["temperature"].as_f64().unwrap() - 0.7).abs() < 1e-6);
    assert!(
        sent["system"]
            .as_str()
            .unwrap()
            .contains("Has a job interview at the library on Thursday."),
        "{sent}"
    );
    let convo = sent["messages"][0]["content"].as_str().unwrap();
    assert!(
        convo.contains("Feeling nervous today.") && !convo.contains("I have an interview"),
        "only the last 24 hours: {convo}"
    );
    assert_eq!(
        checkins(&app, "mia").await[0].text,
        "Good luck at the interview on Thursday!"
    );
}

#[tokio::test]
async fn an_over_long_line_gets_one_stricter_retry_then_the_fallback() {
    let app = checkin_app(&format!(
        "{} and that is why I am asking how you are doing today.",
        "I was thinking about you all day long".repeat(3)
    ))
    .await;
    let when = at("2026-11-25T19:00:00Z");
    say(&app, "leo", when - Duration::hours(3), "Tired.", None).await;
    assert_eq!(pass(&app, when).await.written, 1);
    let sent = reply_requests(app.anthropic()).await;
    assert_eq!(sent.len(), 2, "the first try and one stricter retry");
    assert!(
        sent[1]["messages"][0]["content"]
            .as_str()
            .unwrap()
            .contains("under 80 characters")
    );
    let c = &checkins(&app, "leo").await[0];
    assert_eq!(
        (c.text.as_str(), c.variant.as_str()),
        (FALLBACK, "fallback")
    );
    assert!(c.text.chars().count() < 100);
}

#[tokio::test]
async fn after_a_crisis_flag_the_check_in_is_gentle_and_carries_the_resources() {
    let app = checkin_app("How was the party?").await;
    settings(&app, "sam", json!({"locale": "en-GB"})).await;
    let when = at("2026-11-25T19:00:00Z");
    say(
        &app,
        "sam",
        when - Duration::hours(6),
        "I don't want to be alive anymore.",
        Some(CrisisCategory::Suicidal),
    )
    .await;
    assert_eq!(pass(&app, when).await.written, 1);
    let c = &checkins(&app, "sam").await[0];
    assert_eq!(c.variant, "gentle");
    assert!(
        c.text.contains("Samaritans") && c.text.contains("116 123"),
        "{}",
        c.text
    );
    assert!(
        reply_requests(app.anthropic()).await.is_empty(),
        "no model writes a crisis check-in"
    );
}

/// A service account whose key is the test RSA key, pointing at `oauth`.
fn service_account(oauth: &MockServer) -> String {
    json!({
        "type": "service_account", "project_id": "hearth-test", "private_key_id": "k1",
        "private_key": RSA_A, "client_email": "hearth@hearth-test.iam.gserviceaccount.com",
        "token_uri": format!("{}/token", oauth.uri())
    })
    .to_string()
}

async fn oauth_server() -> MockServer {
    let oauth = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/token"))
        .and(body_string_contains(
            "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer",
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"access_token": "ya29.test-token", "expires_in": 3599, "token_type": "Bearer"}),
        ))
        .mount(&oauth)
        .await;
    oauth
}

fn note() -> PushNotification {
    PushNotification {
        title: "Hearth".into(),
        body: "How did today go?".into(),
    }
}

#[tokio::test]
async fn fcm_caches_its_access_token_and_sends_the_v1_message() {
    let (oauth, fcm) = (oauth_server().await, MockServer::start().await);
    Mock::given(method("POST"))
        .and(path("/v1/projects/hearth-test/messages:send"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"name": "projects/hearth-test/messages/0:1"})),
        )
        .mount(&fcm)
        .await;
    let push = FcmPush::new(
        reqwest::Client::new(),
        &fcm.uri(),
        &hearth::config::FcmServiceAccount::from_json(&service_account(&oauth)).unwrap(),
    )
    .unwrap();
    for _ in 0..2 {
        assert_eq!(
            push.send("device-1", &note()).await.unwrap(),
            PushOutcome::Delivered
        );
    }
    let token_calls = oauth.received_requests().await.unwrap();
    assert_eq!(token_calls.len(), 1, "the access token is cached");
    let form = String::from_utf8(token_calls[0].body.clone()).unwrap();
    let assertion = form.split("assertion=").nth(1).unwrap();
    let mut v = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    v.set_audience(&[format!("{}/token", oauth.uri())]);
    let claims = jsonwebtoken::decode::<Value>(
        assertion,
        &jsonwebtoken::DecodingKey::from_rsa_pem(RSA_A_PUB).unwrap(),
        &v,
    )
    .unwrap()
    .claims;
    assert_eq!(claims["iss"], "hearth@hearth-test.iam.gserviceaccount.com");
    assert_eq!(
        claims["scope"],
        "https://www.googleapis.com/auth/firebase.messaging"
    );
    let sends = fcm.received_requests().await.unwrap();
    assert_eq!(sends.len(), 2);
    assert_eq!(
        sends[0].headers.get("authorization").unwrap(),
        "Bearer ya29.test-token"
    );
    let body: Value = serde_json::from_slice(&sends[0].body).unwrap();
    assert_eq!(
        body,
        json!({"message": {"token": "device-1", "notification": {"title": "Hearth", "body": "How did today go?"}}})
    );
}

#[tokio::test]
async fn fcm_retries_a_503_and_reports_an_unregistered_token() {
    let (oauth, fcm) = (oauth_server().await, MockServer::start().await);
    Mock::given(method("POST"))
        .and(body_string_contains("device-flaky"))
        .respond_with(ResponseTemplate::new(503).set_body_json(
            json!({"error": {"code": 503, "status": "UNAVAILABLE", "message": "try later"}}),
        ))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&fcm)
        .await;
    Mock::given(method("POST"))
        .and(body_string_contains("device-flaky"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"name": "projects/hearth-test/messages/0:2"})),
        )
        .mount(&fcm)
        .await;
    Mock::given(method("POST"))
        .and(body_string_contains("device-gone"))
        .respond_with(ResponseTemplate::new(404).set_body_json(json!({"error": {"code": 404, "status": "NOT_FOUND", "message": "Requested entity was not found.",
            "details": [{"@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError", "errorCode": "UNREGISTERED"}]}})))
        .mount(&fcm)
        .await;
    let push = FcmPush::new(
        reqwest::Client::new(),
        &fcm.uri(),
        &hearth::config::FcmServiceAccount::from_json(&service_account(&oauth)).unwrap(),
    )
    .unwrap()
    .with_base_delay(std::time::Duration::from_millis(10));
    assert_eq!(
        push.send("device-flaky", &note()).await.unwrap(),
        PushOutcome::Delivered
    );
    assert_eq!(
        fcm.received_requests().await.unwrap().len(),
        2,
        "one 503, then the retry"
    );
    assert_eq!(
        push.send("device-gone", &note()).await.unwrap(),
        PushOutcome::Unregistered
    );
}

/// An app that pushes through `fcm`, with a check-in role that writes a
/// fine line.
async fn push_app(oauth: &MockServer, fcm: &MockServer) -> TestApp {
    let app = TestApp::start_with(Options {
        env: vec![
            ("HEARTH_FCM_SERVICE_ACCOUNT", service_account(oauth)),
            ("HEARTH_FCM_BASE_URL", fcm.uri()),
        ],
        ..Options::default()
    })
    .await;
    anthropic_answers(app.anthropic(), "How was the walk?").await;
    app
}

#[tokio::test]
async fn the_pass_pushes_and_forgets_an_unregistered_token() {
    let (oauth, fcm) = (oauth_server().await, MockServer::start().await);
    Mock::given(method("POST"))
        .and(body_string_contains("phone-ok"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"name": "projects/hearth-test/messages/0:3"})),
        )
        .mount(&fcm)
        .await;
    Mock::given(method("POST"))
        .and(body_string_contains("phone-gone"))
        .respond_with(ResponseTemplate::new(404).set_body_json(json!({"error": {"code": 404, "status": "NOT_FOUND",
            "details": [{"@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError", "errorCode": "UNREGISTERED"}]}})))
        .mount(&fcm)
        .await;
    let app = push_app(&oauth, &fcm).await;
    let when = at("2026-11-25T19:00:00Z");
    settings(&app, "pia", json!({"push_token": "phone-ok"})).await;
    settings(&app, "gus", json!({"push_token": "phone-gone"})).await;
    for u in ["pia", "gus"] {
        say(&app, u, when - Duration::hours(2), "Went for a walk.", None).await;
    }
    let r = pass(&app, when).await;
    assert_eq!((r.written, r.pushed), (2, 1), "{r:?}");
    assert!(checkins(&app, "pia").await[0].pushed);
    let gus = checkins(&app, "gus").await;
    assert!(!gus[0].pushed, "stored all the same");
    let (_, s) = app.get(&app.token("gus"), "/v1/me/settings").await;
    assert!(
        s.get("push_token").is_none(),
        "the unregistered token is forgotten: {s}"
    );
    let (_, s) = app.get(&app.token("pia"), "/v1/me/settings").await;
    assert_eq!(s["push_token"], "phone-ok");
}

/// Pia, with a push token, talked two hours before 19:00 UTC; FCM answers
/// 503 to the first push's three attempts, then is back.
async fn pia_while_fcm_is_down_for_one_push() -> (TestApp, MockServer, MockServer, DateTime<Utc>) {
    let (oauth, fcm) = (oauth_server().await, MockServer::start().await);
    let unavailable =
        json!({"error": {"code": 503, "status": "UNAVAILABLE", "message": "try later"}});
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(503).set_body_json(unavailable))
        .up_to_n_times(3)
        .with_priority(1)
        .mount(&fcm)
        .await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"name": "projects/hearth-test/messages/0:4"})),
        )
        .mount(&fcm)
        .await;
    let app = push_app(&oauth, &fcm).await;
    let when = at("2026-11-25T19:00:00Z");
    settings(&app, "pia", json!({"push_token": "phone-ok"})).await;
    say(
        &app,
        "pia",
        when - Duration::hours(2),
        "Went for a walk.",
        None,
    )
    .await;
    (app, fcm, oauth, when)
}

#[tokio::test]
async fn a_check_in_stored_while_fcm_was_down_is_pushed_by_the_pass_run_again() {
    let (app, fcm, _oauth, when) = pia_while_fcm_is_down_for_one_push().await;

    let first = pass(&app, when).await;
    assert_eq!(
        (first.written, first.pushed, first.push_failed),
        (1, 0, 1),
        "{first:?}"
    );
    assert!(first.retry_would_help());
    assert!(!checkins(&app, "pia").await[0].pushed, "stored, not pushed");

    let again = pass(&app, when).await;
    assert_eq!(
        (
            again.written,
            again.already,
            again.pushed,
            again.push_failed
        ),
        (0, 1, 1, 0),
        "{again:?}"
    );
    assert!(!again.retry_would_help());
    let stored = checkins(&app, "pia").await;
    assert_eq!(stored.len(), 1);
    assert!(stored[0].pushed);
    // A pushed check-in is not pushed again.
    let sends = fcm.received_requests().await.unwrap().len();
    assert_eq!(pass(&app, when).await.pushed, 0);
    assert_eq!(fcm.received_requests().await.unwrap().len(), sends);
}

#[tokio::test]
async fn a_fanned_out_check_in_job_fails_while_fcm_is_down_and_its_redelivery_pushes_once() {
    let (app, fcm, _oauth, when) = pia_while_fcm_is_down_for_one_push().await;

    // The job as the fan-out enqueues it, delivered three times.
    let job = serde_json::to_string(&hearth::domain::jobs::Job::Checkin {
        user: UserId::parse("pia").unwrap(),
        at: when,
    })
    .unwrap();
    let dispatcher = app.app.dispatcher();
    let first = dispatcher.dispatch(&job).await;
    assert!(first.is_err(), "FCM down: the job fails, to be redelivered");
    let stored = checkins(&app, "pia").await;
    assert_eq!(
        (stored.len(), stored[0].pushed),
        (1, false),
        "but the check-in is stored"
    );
    dispatcher.dispatch(&job).await.unwrap();
    assert!(checkins(&app, "pia").await[0].pushed);
    let sends = fcm.received_requests().await.unwrap().len();
    dispatcher.dispatch(&job).await.unwrap();
    assert_eq!(
        fcm.received_requests().await.unwrap().len(),
        sends,
        "a pushed check-in is not pushed again"
    );
    assert_eq!(checkins(&app, "pia").await.len(), 1);
}

#[tokio::test]
async fn journal_entries_are_stored_paged_limited_and_extracted() {
    let app = TestApp::start_with(Options {
        openai: true,
        ..Options::default()
    })
    .await;
    extraction_answers(
        app.openai(),
        json!({"memories": [fact("add", "values_and_coping", "Swimming in the sea calms her.", &["m1"], "")], "summary": "A journal entry about the sea."}),
    )
    .await;
    let token = app.token("june");
    let (status, first) = app
        .post(
            &token,
            "/v1/journal/entries",
            json!({"text": "Swam in the sea this morning. So calm."}),
        )
        .await;
    assert_eq!(status, 201, "{first}");
    let (status, _) = app
        .post(
            &token,
            "/v1/journal/entries",
            json!({"text": "A quieter day."}),
        )
        .await;
    assert_eq!(status, 201);
    let (_, page) = app.get(&token, "/v1/journal/entries?limit=1").await;
    assert_eq!(page["items"][0]["text"], "A quieter day.", "newest first");
    let (_, rest) = app
        .get(
            &token,
            &format!(
                "/v1/journal/entries?cursor={}",
                page["next_cursor"].as_str().unwrap()
            ),
        )
        .await;
    assert_eq!(rest["items"][0]["id"], first["id"]);
    let (status, _) = app
        .post(&token, "/v1/journal/entries", json!({"text": "  "}))
        .await;
    assert_eq!(status, 400);
    let (status, _) = app
        .post(
            &token,
            "/v1/journal/entries",
            json!({"text": "x".repeat(10_001)}),
        )
        .await;
    assert_eq!(status, 413);
    let (status, _) = app
        .get(&app.token("someone-else"), "/v1/journal/entries")
        .await;
    assert_eq!(status, 200);
    // What she wrote is remembered, with the entry as its source.
    drained(&app).await;
    let mems = memories(&app, &token, "").await;
    assert!(
        mems.iter()
            .any(|m| m["content"] == "Swimming in the sea calms her."
                && m["source_message_ids"][0] == first["id"]),
        "{mems:?}"
    );
}

#[tokio::test]
async fn a_journal_prompt_draws_on_the_last_72_hours_and_the_entries_within_its_budget() {
    let app = TestApp::start_with(Options {
        openai: true,
        ..Options::default()
    })
    .await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .and(body_string_contains("journal prompt"))
        .respond_with(openai_ok("You have been carrying a lot this week. What would it feel like to set one thing down?"))
        .mount(app.openai())
        .await;
    extraction_answers(app.openai(), json!({"memories": [], "summary": "s"})).await;
    let now = Utc::now();
    say(
        &app,
        "rae",
        now - Duration::hours(100),
        "An old worry about the garden.",
        None,
    )
    .await;
    say(
        &app,
        "rae",
        now - Duration::hours(2),
        "My sister's visit went better than I feared.",
        None,
    )
    .await;
    let token = app.token("rae");
    app.post(
        &token,
        "/v1/journal/entries",
        json!({"text": "Wrote a letter to my sister."}),
    )
    .await;
    let (status, prompt) = app.post(&token, "/v1/journal/prompts", json!({})).await;
    assert_eq!(status, 201, "{prompt}");
    assert_eq!(prompt["kind"], "prompt");
    let sent: Value = app
        .openai()
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| serde_json::from_slice::<Value>(&r.body).unwrap())
        .find(|b| b.to_string().contains("journal prompt"))
        .unwrap();
    let text = sent.to_string();
    assert!(text.contains("My sister's visit went better than I feared."));
    assert!(
        !text.contains("An old worry about the garden."),
        "older than 72 hours"
    );
    assert!(text.contains("Wrote a letter to my sister."));
    assert_eq!(sent["max_tokens"], 230);
    assert!(
        text.contains("180") && text.contains("230"),
        "the budget is stated"
    );
    let (_, listed) = app.get(&token, "/v1/journal/prompts").await;
    assert_eq!(listed["items"][0]["text"], prompt["text"]);
}
