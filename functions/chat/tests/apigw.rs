//! The chat function's router, fed API Gateway HTTP API (v2) events exactly
//! as `lambda_http` receives them in Lambda, from the fixtures in `events/`.

use axum::body::to_bytes;
use hearth::adapters::embedded::EmbeddedStore;
use hearth::app::App;
use hearth::config::{Config, Mode};
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;
use tower::ServiceExt;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const SECRET: &str = "apigw-test-secret";

fn event(name: &str, token: &str) -> lambda_http::Request {
    let file = format!("{}/../../events/{name}", env!("CARGO_MANIFEST_DIR"));
    let raw = std::fs::read_to_string(&file).expect("fixture");
    lambda_http::request::from_str(&raw.replace("REPLACE_WITH_TOKEN", token))
        .expect("an API Gateway v2 event")
}

async fn call(router: &axum::Router, req: lambda_http::Request) -> (u16, Value) {
    let resp = router.clone().oneshot(req).await.expect("infallible");
    let status = resp.status().as_u16();
    let bytes = to_bytes(resp.into_body(), 1 << 20).await.expect("body");
    (status, serde_json::from_slice(&bytes).expect("JSON body"))
}

#[tokio::test]
async fn api_gateway_v2_events_reach_the_router_and_get_json_back() {
    let anthropic = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/messages"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "type": "message", "role": "assistant", "model": "claude-haiku-4-5",
            "content": [{"type": "text", "text": "That sounds draining."}],
            "stop_reason": "end_turn", "usage": {"input_tokens": 20, "output_tokens": 6}
        })))
        .expect(1)
        .mount(&anthropic)
        .await;
    let env = [
        ("HEARTH_JWT_SECRET", SECRET.to_string()),
        ("ANTHROPIC_API_KEY", "sk-ant-test".to_string()),
        ("ANTHROPIC_BASE_URL", anthropic.uri()),
    ];
    let config = Config::from_env(
        |k| env.iter().find(|(n, _)| *n == k).map(|(_, v)| v.clone()),
        Mode::Lambda,
    )
    .expect("config");
    let dir = tempfile::tempdir().unwrap();
    let store = EmbeddedStore::open(dir.path()).unwrap();
    let ports = store.ports(hearth::adapters::embedded::EmbeddedQueue::new(
        store.clone(),
        Default::default(),
    ));
    let router = hearth::http::router(Arc::new(App::new(&config, ports, reqwest_client())));

    let user = hearth::domain::ids::UserId::parse("lambda-user").unwrap();
    let token = hearth::auth::mint_hs256(
        &hearth::config::Secret::new(SECRET),
        &user,
        "authenticated",
        None,
        Duration::from_secs(300),
    )
    .unwrap();

    let (status, body) = call(&router, event("chat-apigw-v2.json", &token)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["reply"]["content"], "That sounds draining.");
    assert_eq!(body["reply"]["route"], "support");

    // The same event again (an API Gateway retry) replays the stored turn.
    let (status, again) = call(&router, event("chat-apigw-v2.json", &token)).await;
    assert_eq!(status, 200);
    assert_eq!(again, body);

    let (status, sessions) = call(&router, event("sessions-apigw-v2.json", &token)).await;
    assert_eq!(status, 200);
    assert_eq!(sessions["items"][0]["id"], body["session_id"]);
    assert_eq!(sessions["items"][0]["message_count"], 2);

    let (status, err) = call(&router, event("chat-apigw-v2.json", "not-a-token")).await;
    assert_eq!(
        (status, err["error"]["code"].as_str()),
        (401, Some("unauthorized"))
    );
}

fn reqwest_client() -> reqwest::Client {
    hearth::app::http_client()
}
