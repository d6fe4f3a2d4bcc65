//! The model clients against fake servers speaking each wire format, with
//! their error shapes: 429 with retry-after, 529 overloaded, 5xx, refusals,
//! slow answers. Then the chat turn's deadline and the role fallback.

use hearth::adapters::anthropic::AnthropicClient;
use hearth::adapters::openai::OpenAiClient;
use hearth::domain::completion::{CompletionRequest, FinishReason, JsonSchema, Turn};
use hearth::domain::message::Role;
use hearth::ports::{ModelClient, ModelError};
use hearth_tests::*;
use serde_json::json;
use std::time::Duration;
use tokio::time::Instant;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn request() -> CompletionRequest {
    CompletionRequest {
        system: "be kind".into(),
        turns: vec![Turn {
            role: Role::User,
            content: "hello".into(),
        }],
        max_tokens: 50,
        temperature: 0.7,
        json_schema: None,
    }
}

fn soon() -> Instant {
    Instant::now() + Duration::from_secs(20)
}

fn anthropic(server: &MockServer) -> AnthropicClient {
    AnthropicClient::new(
        reqwest::Client::new(),
        &server.uri(),
        "sk-ant-test".into(),
        fast_policy(),
    )
}

fn openai(server: &MockServer, key: Option<&str>) -> OpenAiClient {
    OpenAiClient::new(
        reqwest::Client::new(),
        &format!("{}/v1", server.uri()),
        key.map(Into::into),
        fast_policy(),
    )
}

async fn mount_sequence(server: &MockServer, route: &str, responses: Vec<ResponseTemplate>) {
    let last = responses.len() - 1;
    for (i, r) in responses.into_iter().enumerate() {
        let m = Mock::given(method("POST")).and(path(route)).respond_with(r);
        let m = if i == last { m } else { m.up_to_n_times(1) };
        m.mount(server).await;
    }
}

#[tokio::test]
async fn anthropic_retries_429_and_529_then_answers() {
    let server = MockServer::start().await;
    mount_sequence(
        &server,
        "/v1/messages",
        vec![
            anthropic_error(429, "rate_limit_error").insert_header("retry-after", "0"),
            anthropic_error(529, "overloaded_error"),
            anthropic_ok("finally"),
        ],
    )
    .await;
    let c = anthropic(&server)
        .complete("claude-haiku-4-5", &request(), soon())
        .await
        .unwrap();
    assert_eq!(c.content, "finally");
    assert_eq!((c.usage.input_tokens, c.usage.output_tokens), (42, 11));
    assert_eq!(c.finish, FinishReason::Stop);
    assert_eq!(server.received_requests().await.unwrap().len(), 3);
}

#[tokio::test]
async fn anthropic_gives_up_after_the_attempt_budget() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(anthropic_error(529, "overloaded_error"))
        .expect(3)
        .mount(&server)
        .await;
    let err = anthropic(&server)
        .complete("m", &request(), soon())
        .await
        .unwrap_err();
    assert!(matches!(err, ModelError::Overloaded { .. }), "{err:?}");
}

#[tokio::test]
async fn a_refusal_is_not_retried_and_keeps_the_providers_message() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(anthropic_error(400, "invalid_request_error"))
        .expect(1)
        .mount(&server)
        .await;
    let err = anthropic(&server)
        .complete("m", &request(), soon())
        .await
        .unwrap_err();
    match err {
        ModelError::Rejected { status, message } => {
            assert_eq!(status, 400);
            assert_eq!(message, "fake invalid_request_error");
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[tokio::test]
async fn a_retry_after_longer_than_the_deadline_gives_up_at_once() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(anthropic_error(429, "rate_limit_error").insert_header("retry-after", "60"))
        .expect(1)
        .mount(&server)
        .await;
    let deadline = Instant::now() + Duration::from_secs(3);
    let err = anthropic(&server)
        .complete("m", &request(), deadline)
        .await
        .unwrap_err();
    assert!(
        matches!(err, ModelError::RateLimited { retry_after: Some(d) } if d == Duration::from_secs(60))
    );
}

#[tokio::test]
async fn a_slow_answer_is_cut_off_at_the_deadline() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(anthropic_ok("late").set_delay(Duration::from_secs(10)))
        .mount(&server)
        .await;
    let deadline = Instant::now() + Duration::from_millis(300);
    let err = anthropic(&server)
        .complete("m", &request(), deadline)
        .await
        .unwrap_err();
    assert!(matches!(err, ModelError::DeadlineExceeded), "{err:?}");
}

#[tokio::test]
async fn max_tokens_is_reported_as_a_truncated_answer() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "type": "message", "role": "assistant", "model": "claude-haiku-4-5",
            "content": [{"type": "text", "text": "cut"}], "stop_reason": "max_tokens",
            "usage": {"input_tokens": 5, "output_tokens": 50}
        })))
        .mount(&server)
        .await;
    let c = anthropic(&server)
        .complete("m", &request(), soon())
        .await
        .unwrap();
    assert_eq!(c.finish, FinishReason::Length);
}

#[tokio::test]
async fn openai_speaks_chat_completions_with_bearer_auth_and_json_schema() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .and(header("authorization", "Bearer sk-openai-test"))
        .respond_with(openai_ok("{\"ok\":true}"))
        .expect(1)
        .mount(&server)
        .await;
    let mut req = request();
    req.json_schema = Some(JsonSchema {
        name: "probe".into(),
        schema: json!({"type": "object", "properties": {"ok": {"type": "boolean"}}, "required": ["ok"]}),
    });
    let c = openai(&server, Some("sk-openai-test"))
        .complete("llama", &req, soon())
        .await
        .unwrap();
    assert_eq!(c.content, "{\"ok\":true}");
    assert_eq!((c.usage.input_tokens, c.usage.output_tokens), (30, 9));
    let sent = request_body(&server, 0).await;
    assert_eq!(sent["model"], "llama");
    assert_eq!(sent["max_tokens"], 50);
    assert_eq!(
        sent["messages"],
        json!([{"role": "system", "content": "be kind"}, {"role": "user", "content": "hello"}])
    );
    assert_eq!(sent["response_format"]["type"], "json_schema");
    assert_eq!(sent["response_format"]["json_schema"]["name"], "probe");
}

#[tokio::test]
async fn openai_retries_5xx_honours_retry_after_ms_and_sends_no_key_when_none() {
    let server = MockServer::start().await;
    mount_sequence(
        &server,
        "/v1/chat/completions",
        vec![
            openai_error(503, "server_error"),
            openai_error(429, "rate_limit_exceeded").insert_header("retry-after-ms", "20"),
            openai_ok("ok"),
        ],
    )
    .await;
    let c = openai(&server, None)
        .complete("local", &request(), soon())
        .await
        .unwrap();
    assert_eq!(c.content, "ok");
    let reqs = server.received_requests().await.unwrap();
    assert_eq!(reqs.len(), 3);
    assert!(
        reqs.iter()
            .all(|r| !r.headers.contains_key("authorization"))
    );
}

#[tokio::test]
async fn openai_truncation_and_garbage_are_distinguished() {
    let server = MockServer::start().await;
    mount_sequence(
        &server,
        "/v1/chat/completions",
        vec![
            ResponseTemplate::new(200).set_body_json(json!({
                "choices": [{"index": 0, "message": {"role": "assistant", "content": "{\"a\":"}, "finish_reason": "length"}],
                "usage": {"prompt_tokens": 1, "completion_tokens": 50}
            })),
            ResponseTemplate::new(200).set_body_string("<html>gateway</html>"),
        ],
    )
    .await;
    let client = openai(&server, None);
    let c = client.complete("m", &request(), soon()).await.unwrap();
    assert_eq!(c.finish, FinishReason::Length);
    let err = client.complete("m", &request(), soon()).await.unwrap_err();
    assert!(matches!(err, ModelError::InvalidResponse(_)), "{err:?}");
}

#[tokio::test]
async fn the_turn_deadline_turns_a_slow_model_into_a_503_and_keeps_the_message() {
    let app = TestApp::start_with(Options {
        env: vec![("HEARTH_TURN_DEADLINE_SECS", "1".into())],
        ..Options::default()
    })
    .await;
    Mock::given(method("POST"))
        .respond_with(anthropic_ok("too late").set_delay(Duration::from_secs(8)))
        .mount(app.anthropic())
        .await;
    let token = app.token("alice");
    let (status, body) = app.chat(&token, json!({"message": "hello?"})).await;
    assert_eq!(status, 503);
    assert_eq!(body["error"]["code"], "model_unavailable");
    let (_, sessions) = app.get(&token, "/v1/sessions").await;
    assert_eq!(sessions["items"][0]["message_count"], 1);
}

#[tokio::test]
async fn support_falls_back_to_the_deep_role_when_the_chat_role_fails() {
    let app = TestApp::start_with(Options {
        openai: true,
        ..Options::default()
    })
    .await;
    Mock::given(method("POST"))
        .respond_with(anthropic_error(500, "api_error"))
        .mount(app.anthropic())
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(openai_ok("deep says hi"))
        .expect(1)
        .mount(app.openai())
        .await;
    let token = app.token("alice");
    let (status, body) = app.chat(&token, json!({"message": "hello"})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["reply"]["content"], "deep says hi");
    assert_eq!(
        body["reply"]["model"],
        "meta-llama/Llama-3.3-70B-Instruct-Turbo"
    );
    assert_eq!(body["reply"]["route"], "support");
    // The fallback got the same context the chat role was given.
    let to_chat = request_body(app.anthropic(), 0).await;
    let to_deep = request_body(app.openai(), 0).await;
    assert_eq!(
        to_deep["messages"][1]["content"],
        to_chat["messages"][0]["content"]
    );
    assert_eq!(to_deep["messages"][0]["content"], to_chat["system"]);
}

#[tokio::test]
async fn when_both_roles_fail_the_caller_gets_a_503() {
    let app = TestApp::start_with(Options {
        openai: true,
        ..Options::default()
    })
    .await;
    Mock::given(method("POST"))
        .respond_with(anthropic_error(401, "authentication_error"))
        .mount(app.anthropic())
        .await;
    Mock::given(method("POST"))
        .respond_with(openai_error(401, "invalid_api_key"))
        .mount(app.openai())
        .await;
    let (status, body) = app
        .chat(&app.token("alice"), json!({"message": "hello"}))
        .await;
    assert_eq!(status, 503);
    assert_eq!(body["error"]["code"], "model_unavailable");
}
