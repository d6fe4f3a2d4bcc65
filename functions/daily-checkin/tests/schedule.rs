//! The scheduled event in `events/hourly-schedule.json` runs the Lambda's
//! handler against moto's server (started by scripts/test): DynamoDB, SQS
//! and EventBridge through the AWS SDK, as in production.

use aws_lambda_events::event::eventbridge::EventBridgeEvent;
use hearth::domain::checkin::Settings;
use hearth::domain::ids::UserId;
use hearth::domain::message::NewUserMessage;
use hearth::domain::page::PageRequest;
use lambda_runtime::{Context, LambdaEvent};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn endpoint() -> String {
    std::env::var("AWS_ENDPOINT_URL").unwrap_or_else(|_| panic!("the AWS tests need moto's server: run ./scripts/test, or set AWS_ENDPOINT_URL"))
}

#[tokio::test]
async fn the_hourly_schedule_event_writes_each_due_check_in_once() {
    let _ = endpoint();
    let sdk = hearth::adapters::aws::sdk_config().await;
    let prefix = format!("sched-{}-{}", std::process::id(), rand_suffix());
    let resources = hearth::adapters::provision::provision(&sdk, &prefix, 5).await.unwrap();
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
    let env = [("HEARTH_JWT_SECRET", "s".to_string()), ("ANTHROPIC_API_KEY", "k".to_string()), ("ANTHROPIC_BASE_URL", anthropic.uri())];
    let config = hearth::config::Config::from_env(|k| env.iter().find(|(n, _)| *n == k).map(|(_, v)| v.clone()), hearth::config::Mode::Lambda).unwrap();
    let app = hearth::app::App::new(&config, ports.clone(), reqwest::Client::new());

    // The fixture's time is 2026-11-25T19:00:00Z: 19:00 in London (UTC in
    // November), 04:00 the next day in Tokyo.
    let raw = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../events/hourly-schedule.json")).unwrap();
    let event: EventBridgeEvent = serde_json::from_str(&raw).unwrap();
    let at = event.time.unwrap();
    let (london, tokyo) = (UserId::parse("london").unwrap(), UserId::parse("tokyo").unwrap());
    for (user, tz) in [(&london, "Europe/London"), (&tokyo, "Asia/Tokyo")] {
        ports.companion.put_settings(user, &Settings { timezone: tz.into(), ..Settings::defaults("en-GB") }).await.unwrap();
        ports
            .conversations
            .record_user_message(user, NewUserMessage { session_id: None, content: "Dentist tomorrow, dreading it.".into(), client_message_id: None, created_at: at - chrono::Duration::hours(5), crisis: None })
            .await
            .unwrap();
    }

    for round in 0..2 {
        let out = daily_checkin::handle(&app, LambdaEvent::new(event.clone(), Context::default())).await.unwrap();
        let c = &out["checkins"];
        assert_eq!(c["written"], if round == 0 { 1 } else { 0 }, "{out}");
        assert_eq!(c["already"], if round == 0 { 0 } else { 1 }, "a repeated event gives no duplicate: {out}");
    }
    let stored = ports.companion.list_checkins(&london, &PageRequest::first(10)).await.unwrap();
    assert_eq!(stored.items.len(), 1);
    assert_eq!(stored.items[0].text, "How did the dentist visit go today?");
    assert_eq!(stored.items[0].local_date.to_string(), "2026-11-25");
    assert!(ports.companion.list_checkins(&tokyo, &PageRequest::first(10)).await.unwrap().items.is_empty(), "not Tokyo's hour");
}

fn rand_suffix() -> u32 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos()
}
