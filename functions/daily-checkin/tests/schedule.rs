//! The scheduled event in `events/hourly-schedule.json` runs the Lambda's
//! handler against moto's server (started by scripts/test): DynamoDB, SQS
//! and EventBridge through the AWS SDK, as in production. The handler fans
//! the pass out as `checkin` jobs on SQS; the tests then run those jobs as
//! the job workers do.

use aws_lambda_events::event::eventbridge::EventBridgeEvent;
use aws_sdk_dynamodb::types::AttributeValue;
use hearth::domain::checkin::Settings;
use hearth::domain::ids::UserId;
use hearth::domain::message::NewUserMessage;
use hearth::domain::page::PageRequest;
use hearth::ports::JobSource;
use lambda_runtime::{Context, LambdaEvent};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn endpoint() -> String {
    std::env::var("AWS_ENDPOINT_URL").unwrap_or_else(|_| {
        panic!("the AWS tests need moto's server: run ./scripts/test, or set AWS_ENDPOINT_URL")
    })
}

struct Setup {
    app: hearth::app::App,
    ports: hearth::ports::Ports,
    jobs: hearth::adapters::sqs::SqsQueue,
    sdk: aws_config::SdkConfig,
    table: String,
    event: EventBridgeEvent,
    _anthropic: MockServer,
}

/// Fresh resources on moto, a fake model that writes a fine check-in, and
/// the fixture event, whose time is 2026-11-25T19:00:00Z: 19:00 in London
/// (UTC in November), 04:00 the next day in Tokyo.
async fn setup() -> Setup {
    let _ = endpoint();
    let sdk = hearth::adapters::aws::sdk_config().await;
    let prefix = format!("sched-{}-{}", std::process::id(), rand_suffix());
    let resources = hearth::adapters::provision::provision(&sdk, &prefix, 5)
        .await
        .unwrap();
    let adapters = hearth::adapters::aws::AwsAdapters::new(&sdk, &resources);
    let ports = adapters.ports();

    let anthropic = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/messages"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "type": "message", "role": "assistant", "model": "claude-haiku-4-5",
            "content": [{"type": "text", "text": "How did the dentist visit go today?"}],
            "stop_reason": "end_turn", "usage": {"input_tokens": 80, "output_tokens": 9}
        })))
        .mount(&anthropic)
        .await;
    let env = [
        ("HEARTH_JWT_SECRET", "s".to_string()),
        ("ANTHROPIC_API_KEY", "k".to_string()),
        ("ANTHROPIC_BASE_URL", anthropic.uri()),
    ];
    let config = hearth::config::Config::from_env(
        |k| env.iter().find(|(n, _)| *n == k).map(|(_, v)| v.clone()),
        hearth::config::Mode::Lambda,
    )
    .unwrap();
    let app = hearth::app::App::new(&config, ports.clone(), reqwest::Client::new());
    let raw = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../events/hourly-schedule.json"
    ))
    .unwrap();
    let event: EventBridgeEvent = serde_json::from_str(&raw).unwrap();
    Setup {
        app,
        ports,
        jobs: adapters.queue.clone(),
        sdk,
        table: resources.table,
        event,
        _anthropic: anthropic,
    }
}

/// `user` in `tz` talked five hours before the event.
async fn active(s: &Setup, user: &UserId, tz: &str) {
    let at = s.event.time.unwrap();
    s.ports
        .settings
        .put_settings(
            user,
            &Settings {
                timezone: tz.into(),
                ..Settings::defaults("en-GB")
            },
        )
        .await
        .unwrap();
    s.ports
        .conversations
        .record_user_message(
            user,
            NewUserMessage {
                remember: true,
                session_id: None,
                content: "Dentist tomorrow, dreading it.".into(),
                client_message_id: None,
                created_at: at - chrono::Duration::hours(5),
                crisis: None,
            },
        )
        .await
        .unwrap();
}

async fn run(s: &Setup) -> Result<serde_json::Value, lambda_runtime::Error> {
    run_in(s, Context::default()).await
}

async fn run_in(s: &Setup, context: Context) -> Result<serde_json::Value, lambda_runtime::Error> {
    daily_checkin::handle(&s.app, LambdaEvent::new(s.event.clone(), context)).await
}

/// The job workers: run every `checkin` job on the queue through the app's
/// dispatcher, as the job-worker function does, acknowledging those
/// that succeed. Returns how many ran and how many failed. (Other jobs, the
/// idle sweep's extractions, are acknowledged unrun.)
async fn work(s: &Setup) -> (u32, u32) {
    let dispatcher = s.app.dispatcher();
    let (mut ran, mut failed) = (0, 0);
    loop {
        let batch = s
            .jobs
            .receive(10, std::time::Duration::from_millis(300))
            .await
            .unwrap();
        if batch.is_empty() {
            return (ran, failed);
        }
        for d in batch {
            let job: serde_json::Value = serde_json::from_str(&d.body).unwrap();
            if job["kind"] != "checkin" {
                s.jobs.ack(&d).await.unwrap();
                continue;
            }
            ran += 1;
            match dispatcher.dispatch(&d.body).await {
                Ok(()) => s.jobs.ack(&d).await.unwrap(),
                Err(_) => failed += 1,
            }
        }
    }
}

#[tokio::test]
async fn the_hourly_schedule_event_writes_each_due_check_in_once() {
    let s = setup().await;
    let (london, tokyo) = (
        UserId::parse("london").unwrap(),
        UserId::parse("tokyo").unwrap(),
    );
    active(&s, &london, "Europe/London").await;
    active(&s, &tokyo, "Asia/Tokyo").await;

    // A repeated event fans out again; the second job finds the check-in.
    for _ in 0..2 {
        let out = run(&s).await.unwrap();
        assert_eq!(
            (
                out["checkins"]["considered"].as_u64(),
                out["checkins"]["enqueued"].as_u64()
            ),
            (Some(2), Some(1)),
            "only London is due: {out}"
        );
        assert_eq!(work(&s).await, (1, 0));
        assert_eq!(
            s.ports
                .checkins
                .list_checkins(&london, &PageRequest::first(10))
                .await
                .unwrap()
                .items
                .len(),
            1,
            "no duplicate"
        );
    }
    let stored = s
        .ports
        .checkins
        .list_checkins(&london, &PageRequest::first(10))
        .await
        .unwrap();
    assert_eq!(stored.items.len(), 1);
    assert_eq!(stored.items[0].text, "How did the dentist visit go today?");
    assert_eq!(stored.items[0].local_date.to_string(), "2026-11-25");
    assert!(
        s.ports
            .checkins
            .list_checkins(&tokyo, &PageRequest::first(10))
            .await
            .unwrap()
            .items
            .is_empty(),
        "not Tokyo's hour"
    );
}

#[tokio::test]
async fn a_person_who_cannot_be_looked_at_fails_the_invocation_and_the_retry_writes_only_what_is_missing()
 {
    let s = setup().await;
    let (london, dublin) = (
        UserId::parse("london").unwrap(),
        UserId::parse("dublin").unwrap(),
    );
    active(&s, &london, "Europe/London").await;
    active(&s, &dublin, "Europe/Dublin").await;
    // Dublin's settings cannot be read: her job is not enqueued, London's is.
    let dynamo = aws_sdk_dynamodb::Client::new(&s.sdk);
    let settings_key = |user: &str| {
        [
            ("PK".to_string(), AttributeValue::S(format!("U#{user}"))),
            ("SK".to_string(), AttributeValue::S("SETTINGS".into())),
        ]
    };
    let mut broken = std::collections::HashMap::from(settings_key("dublin"));
    broken.insert("data".into(), AttributeValue::S("{not json".into()));
    dynamo
        .put_item()
        .table_name(&s.table)
        .set_item(Some(broken))
        .send()
        .await
        .unwrap();

    let err = run(&s)
        .await
        .expect_err("a failed check-in fails the invocation, so that Lambda retries it");
    assert!(
        err.to_string().contains(
            "of the people due at 2026-11-25 19:00:00 UTC, 1 failed and 0 were not reached"
        ),
        "{err}"
    );
    assert_eq!(work(&s).await, (1, 0));
    assert_eq!(
        s.ports
            .checkins
            .list_checkins(&london, &PageRequest::first(10))
            .await
            .unwrap()
            .items
            .len(),
        1,
        "the others were written"
    );

    // The cause goes away; Lambda's retry carries the same event time.
    dynamo
        .delete_item()
        .table_name(&s.table)
        .set_key(Some(std::collections::HashMap::from(settings_key(
            "dublin",
        ))))
        .send()
        .await
        .unwrap();
    let out = run(&s).await.unwrap();
    assert_eq!(out["checkins"]["enqueued"], 2, "{out}");
    assert_eq!(work(&s).await, (2, 0));
    assert_eq!(
        s.ports
            .checkins
            .list_checkins(&london, &PageRequest::first(10))
            .await
            .unwrap()
            .items
            .len(),
        1,
        "no duplicate"
    );
    assert_eq!(
        s.ports
            .checkins
            .list_checkins(&dublin, &PageRequest::first(10))
            .await
            .unwrap()
            .items
            .len(),
        1
    );
}

fn rand_suffix() -> u32 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos()
}

#[tokio::test]
async fn an_invocation_near_its_deadline_enqueues_nobody_and_fails_so_that_the_retry_does() {
    let s = setup().await;
    let london = UserId::parse("london").unwrap();
    active(&s, &london, "Europe/London").await;
    // Ten seconds left: within the fan-out's margin.
    let mut context = Context::default();
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;
    context.deadline = now_ms + 10_000;
    let err = run_in(&s, context)
        .await
        .expect_err("people not reached fail the invocation");
    assert!(err.to_string().contains("1 were not reached"), "{err}");
    assert_eq!(work(&s).await, (0, 0), "nobody begun");

    // Lambda's retry, with time to spare, reaches her.
    let mut context = Context::default();
    context.deadline = now_ms + 300_000;
    let out = run_in(&s, context).await.unwrap();
    assert_eq!(out["checkins"]["enqueued"], 1, "{out}");
    assert_eq!(work(&s).await, (1, 0));
    assert_eq!(
        s.ports
            .checkins
            .list_checkins(&london, &PageRequest::first(10))
            .await
            .unwrap()
            .items
            .len(),
        1
    );
}
