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

async fn sdk() -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(endpoint())
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
            "testing", "testing", None, None, "t",
        ))
        .load()
        .await
}

/// A queue that receives every `CrisisFlagged` event on `bus`, as an
/// operator's rule would route it; returns the queue's URL.
async fn crisis_queue(sdk: &aws_config::SdkConfig, bus: &str, name: &str) -> String {
    let sqs = aws_sdk_sqs::Client::new(sdk);
    let url = sqs
        .create_queue()
        .queue_name(name)
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    let attrs = sqs
        .get_queue_attributes()
        .queue_url(&url)
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
        .send()
        .await
        .unwrap();
    let arn = attrs.attributes.unwrap()[&aws_sdk_sqs::types::QueueAttributeName::QueueArn].clone();
    let eb = aws_sdk_eventbridge::Client::new(sdk);
    eb.put_rule()
        .name(format!("{name}-crisis"))
        .event_bus_name(bus)
        .event_pattern(r#"{"source":["hearth"],"detail-type":["CrisisFlagged"]}"#)
        .send()
        .await
        .unwrap();
    eb.put_targets()
        .rule(format!("{name}-crisis"))
        .event_bus_name(bus)
        .targets(
            aws_sdk_eventbridge::types::Target::builder()
                .id("q")
                .arn(arn)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    url
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
    let bus = exports[2].1.clone();
    let sdk = sdk().await;
    let crisis = crisis_queue(&sdk, &bus, &format!("{prefix}-crisis-events")).await;

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

    // A crisis message: its CrisisFlagged event reaches the bus (and the
    // operator's rule), and still nothing goes to a local outbox.
    let resp = reqwest::Client::new()
        .post(format!("{url}/v1/chat"))
        .bearer_auth(token.trim())
        .json(&json!({"message": "I want to kill myself tonight", "client_message_id": "aws-2"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["reply"]["route"], "crisis", "{body}");
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    let mut events = Vec::new();
    for _ in 0..20 {
        let out = sqs
            .receive_message()
            .queue_url(&crisis)
            .wait_time_seconds(1)
            .send()
            .await
            .unwrap();
        events.extend(out.messages.unwrap_or_default());
        if !events.is_empty() {
            break;
        }
    }
    assert_eq!(events.len(), 1, "one CrisisFlagged event on the bus");
    let event: Value = serde_json::from_str(events[0].body.as_deref().unwrap()).unwrap();
    assert_eq!(event["detail-type"], "CrisisFlagged");
    assert_eq!(event["source"], "hearth");
    assert_eq!(event["detail"]["user"], "aws-alice");
    assert!(
        !dir.path().join("hearth.redb").exists(),
        "no local outbox was written"
    );
}

#[tokio::test]
async fn migrate_on_the_aws_backend_indexes_history_stored_the_old_way_once() {
    use hearth::adapters::dynamodb::DynamoStore;
    use hearth::domain::ids::UserId;
    use hearth::domain::message::NewUserMessage;
    use hearth::domain::retrieval::{DocKind, Query, doc_key};
    use hearth::domain::safety::CrisisCategory;
    use hearth::domain::safety::flag::Flagged;
    use hearth::ports::ConversationStore;
    use hearth::service::retrieval::Retriever;
    let prefix = format!("migrate-{}", std::process::id());
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
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let table = exports[0].1.clone();
    let sdk = sdk().await;
    // Written the old way: straight through the store, nothing indexed.
    let store = DynamoStore::new(aws_sdk_dynamodb::Client::new(&sdk), table);
    let mut flagged = Vec::new();
    for user in ["aws-ivy", "aws-jon"] {
        let user = UserId::parse(user).unwrap();
        let first = store
            .record_user_message(
                &user,
                NewUserMessage {
                    remember: true,
                    session_id: None,
                    content: "We planted tomatoes on the balcony.".into(),
                    client_message_id: None,
                    created_at: chrono::Utc::now(),
                    crisis: None,
                },
            )
            .await
            .unwrap();
        let dark = store
            .record_user_message(
                &user,
                NewUserMessage {
                    remember: true,
                    session_id: Some(first.session.id.clone()),
                    content: "I wrote goodbye letters last night.".into(),
                    client_message_id: None,
                    created_at: chrono::Utc::now(),
                    crisis: Some(Flagged::by_rule(CrisisCategory::Suicidal, "goodbyes")),
                },
            )
            .await
            .unwrap();
        flagged.push(dark.message.id.to_string());
    }
    let dir = tempfile::tempdir().unwrap();
    let run = || {
        let mut cmd = hearth();
        cmd.envs(exports.iter().cloned())
            .env("HEARTH_ENCODER_DIR", "/nonexistent/encoder")
            .args(["migrate", "--backend", "aws", "--data-dir"])
            .arg(dir.path());
        cmd
    };
    let out = run().output().await.unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (&report["users"], &report["messages"], &report["indexed"]),
        (&json!(2), &json!(4), &json!(4)),
        "{report}"
    );
    let again: Value = serde_json::from_slice(&run().output().await.unwrap().stdout).unwrap();
    assert_eq!(again["indexed"], 0, "idempotent: {again}");

    let retriever = Retriever::new(std::sync::Arc::new(store), None, 64);
    let index = retriever
        .index(&UserId::parse("aws-ivy").unwrap())
        .await
        .unwrap();
    let query = Query {
        text: "tomatoes balcony",
        vector: None,
        route: hearth::domain::route::Route::Support,
        now: chrono::Utc::now(),
    };
    assert_eq!(index.search(&query, 5).len(), 1);
    let dark = index
        .doc(&doc_key(DocKind::Message, &flagged[0]))
        .expect("the flagged message is indexed");
    assert!(dark.crisis);
    assert!(
        !dir.path().join("hearth.redb").exists(),
        "nothing went to the embedded store"
    );
}
