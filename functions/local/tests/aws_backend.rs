//! `hearth provision` and `hearth serve --backend aws` against moto's server
//! (started by scripts/test): a chat turn leaves its message items in the
//! table, and the crisis event goes to the bus, not a local outbox.

use serde_json::{Value, json};
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const BIN: &str = env!("CARGO_BIN_EXE_hearth");

fn endpoint() -> String {
    std::env::var("AWS_ENDPOINT_URL").unwrap_or_else(|_| {
        panic!("the AWS tests need moto's server: run ./scripts/test, or set AWS_ENDPOINT_URL")
    })
}

fn hearth() -> Command {
    let mut cmd = Command::new(BIN);
    cmd.env_clear()
        .env("RUST_LOG", "warn")
        .env("HEARTH_LLM_DIR", "/nonexistent/hearth-llm")
        .env("AWS_ENDPOINT_URL", endpoint())
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", "us-east-1")
        .kill_on_drop(true);
    cmd
}

#[tokio::test]
async fn a_chat_turn_through_the_aws_backend_leaves_its_messages_in_the_table() {
    let prefix = format!("cli-{}", std::process::id());
    let out = hearth()
        .args(["provision", "--prefix", &prefix])
        .output()
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let exports: Vec<(String, String)> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            let (k, v) = l.split_once('=').expect("NAME=value lines");
            (k.to_string(), v.to_string())
        })
        .collect();
    let names: Vec<&str> = exports.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        names,
        vec!["HEARTH_TABLE", "HEARTH_QUEUE_URL", "HEARTH_EVENT_BUS"]
    );
    let table = exports[0].1.clone();

    let anthropic = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/messages"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "type": "message", "role": "assistant", "model": "claude-haiku-4-5",
            "content": [{"type": "text", "text": "Stored in DynamoDB, and I'm here."}],
            "stop_reason": "end_turn", "usage": {"input_tokens": 9, "output_tokens": 3}
        })))
        .mount(&anthropic)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = hearth();
    cmd.envs(exports.iter().cloned())
        .env("ANTHROPIC_API_KEY", "sk-ant-test")
        .env("ANTHROPIC_BASE_URL", anthropic.uri())
        .args([
            "serve",
            "--backend",
            "aws",
            "--addr",
            "127.0.0.1:0",
            "--data-dir",
        ])
        .arg(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let mut child = cmd.spawn().unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let url = tokio::time::timeout(Duration::from_secs(30), async {
        while let Some(line) = lines.next_line().await.unwrap() {
            if let Some(url) = line.strip_prefix("listening on ") {
                return url.to_string();
            }
        }
        panic!("hearth serve --backend aws exited");
    })
    .await
    .unwrap();

    let token = String::from_utf8(
        hearth()
            .args(["token", "--user", "aws-alice", "--data-dir"])
            .arg(dir.path())
            .output()
            .await
            .unwrap()
            .stdout,
    )
    .unwrap();
    let resp = reqwest::Client::new()
        .post(format!("{url}/v1/chat"))
        .bearer_auth(token.trim())
        .json(&json!({"message": "Hello from the AWS path", "client_message_id": "aws-1"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(
        body["reply"]["content"],
        "Stored in DynamoDB, and I'm here."
    );

    // Read the table directly, as an operator would.
    let sdk = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(endpoint())
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
            "testing", "testing", None, None, "t",
        ))
        .load()
        .await;
    let items = aws_sdk_dynamodb::Client::new(&sdk)
        .query()
        .table_name(&table)
        .key_condition_expression("PK = :pk")
        .expression_attribute_values(
            ":pk",
            aws_sdk_dynamodb::types::AttributeValue::S("U#aws-alice".into()),
        )
        .send()
        .await
        .unwrap()
        .items
        .unwrap_or_default();
    let kinds: Vec<String> = items
        .iter()
        .map(|i| i["kind"].as_s().unwrap().clone())
        .collect();
    assert_eq!(
        kinds.iter().filter(|k| *k == "message").count(),
        2,
        "{kinds:?}"
    );
    assert_eq!(kinds.iter().filter(|k| *k == "session").count(), 1);
    assert_eq!(
        kinds.iter().filter(|k| *k == "client_message_id").count(),
        1
    );
    assert_eq!(kinds.iter().filter(|k| *k == "activity").count(), 1);
    assert!(
        !dir.path().join("hearth.redb").exists(),
        "nothing went to the embedded store"
    );
}
