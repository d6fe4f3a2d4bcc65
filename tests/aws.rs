//! The AWS adapters against moto's server (started by scripts/test): the
//! store contract on DynamoDB, conditional-write races, the SQS worker, the
//! EventBridge bus, and template.yaml agreeing with the code's definitions.

use async_trait::async_trait;
use hearth::adapters::dynamodb::schema;
use hearth::adapters::eventbridge::EventBridgeBus;
use hearth::adapters::sqs::SqsQueue;
use hearth::domain::events::DomainEvent;
use hearth::domain::ids::{ClientMessageId, SessionId, UserId};
use hearth::domain::jobs::Job;
use hearth::domain::message::NewUserMessage;
use hearth::domain::page::PageRequest;
use hearth::domain::safety::CrisisCategory;
use hearth::domain::safety::flag::{FlagSource, Flagged};
use hearth::ports::{ConversationStore, EventBus, JobQueue, MemoryStore};
use hearth::service::jobs::{Dispatcher, JobError, JobHandler, run_worker};
use hearth_tests::aws::{fresh_table, sdk, unique};
use std::sync::{Arc, Mutex};
use std::time::Duration;

async fn dynamo() -> (Arc<dyn ConversationStore>, ()) {
    (Arc::new(fresh_table().await), ())
}

mod dynamodb_store {
    use super::dynamo;
    hearth::conversation_store_contract!(dynamo);
}

async fn dynamo_memories() -> (Arc<dyn hearth::ports::MemoryStore>, ()) {
    (Arc::new(fresh_table().await), ())
}

mod dynamodb_memory_store {
    use super::dynamo_memories;
    hearth::memory_store_contract!(dynamo_memories);
}

fn message(session: Option<&SessionId>, cmid: Option<&str>) -> NewUserMessage {
    NewUserMessage {
        remember: true,
        session_id: session.cloned(),
        content: "racing".into(),
        client_message_id: cmid.map(|c| ClientMessageId::parse(c).unwrap()),
        created_at: chrono::Utc::now(),
        crisis: None,
    }
}

#[tokio::test]
async fn a_conditional_write_race_on_one_client_message_id_stores_one_message() {
    let store = Arc::new(fresh_table().await);
    let user = UserId::parse("racer").unwrap();
    let first = store
        .record_user_message(&user, message(None, None))
        .await
        .unwrap();
    let sid = first.session.id.clone();
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let (store, user, sid) = (store.clone(), user.clone(), sid.clone());
            tokio::spawn(async move {
                store
                    .record_user_message(&user, message(Some(&sid), Some("same-cmid")))
                    .await
            })
        })
        .collect();
    let mut ids = Vec::new();
    for t in tasks {
        ids.push(t.await.unwrap().unwrap().message.id);
    }
    ids.dedup();
    assert_eq!(ids.len(), 1, "every racer got the one stored message");
    let page = store
        .list_messages(&user, &sid, &PageRequest::first(50))
        .await
        .unwrap();
    assert_eq!(
        page.items.len(),
        2,
        "the first message and exactly one raced message"
    );
}

#[tokio::test]
async fn concurrent_messages_in_one_session_each_get_their_own_seq() {
    let store = Arc::new(fresh_table().await);
    let user = UserId::parse("busy").unwrap();
    let first = store
        .record_user_message(&user, message(None, None))
        .await
        .unwrap();
    let sid = first.session.id.clone();
    let tasks: Vec<_> = (0..5)
        .map(|_| {
            let (store, user, sid) = (store.clone(), user.clone(), sid.clone());
            tokio::spawn(async move {
                store
                    .record_user_message(&user, message(Some(&sid), None))
                    .await
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    let page = store
        .list_messages(&user, &sid, &PageRequest::first(50))
        .await
        .unwrap();
    let seqs: Vec<u64> = page.items.iter().map(|m| m.seq).collect();
    assert_eq!(
        seqs,
        (1..=6).collect::<Vec<_>>(),
        "no message lost or overwritten"
    );
    assert_eq!(
        store
            .get_session(&user, &sid)
            .await
            .unwrap()
            .unwrap()
            .message_count,
        6
    );
}

struct Recorder(Mutex<Vec<Job>>);

#[async_trait]
impl JobHandler for Recorder {
    async fn handle(&self, job: &Job) -> Result<(), JobError> {
        self.0.lock().unwrap().push(job.clone());
        Ok(())
    }
}

async fn queue_arn(sqs: &aws_sdk_sqs::Client, url: &str) -> String {
    sqs.get_queue_attributes()
        .queue_url(url)
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
        .send()
        .await
        .unwrap()
        .attributes
        .unwrap()[&aws_sdk_sqs::types::QueueAttributeName::QueueArn]
        .clone()
}

async fn queue() -> (SqsQueue, aws_sdk_sqs::Client, String) {
    let sdk = sdk().await;
    let client = aws_sdk_sqs::Client::new(&sdk);
    let url = client
        .create_queue()
        .queue_name(unique("q"))
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    (SqsQueue::new(client.clone(), &url), client, url)
}

#[tokio::test]
async fn jobs_on_sqs_are_consumed_by_the_worker_and_a_malformed_one_is_left_for_the_dlq() {
    let (queue, client, url) = queue().await;
    let job = Job::ExtractSession {
        user: UserId::parse("u1").unwrap(),
        session_id: SessionId::parse("s1").unwrap(),
        from_seq: 1,
        to_seq: 6,
    };
    queue.enqueue(&job).await.unwrap();
    client
        .send_message()
        .queue_url(&url)
        .message_body("{\"kind\":")
        .send()
        .await
        .unwrap();

    let recorder = Arc::new(Recorder(Mutex::new(Vec::new())));
    let dispatcher = Dispatcher::for_every_kind(recorder.clone());
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let worker = tokio::spawn(run_worker(Arc::new(queue.clone()), dispatcher, stopped));
    for _ in 0..100 {
        if !recorder.0.lock().unwrap().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    stop.send(true).unwrap();
    worker.await.unwrap();
    assert_eq!(*recorder.0.lock().unwrap(), vec![job]);

    // The good job was acknowledged; the malformed one was not, so SQS
    // delivers it again (and its redrive policy moves it to the DLQ).
    let left = client
        .get_queue_attributes()
        .queue_url(&url)
        .attribute_names(
            aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessagesNotVisible,
        )
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessages)
        .send()
        .await
        .unwrap();
    let attrs = left.attributes.unwrap();
    let count = |k| {
        attrs
            .get(&k)
            .map(|v: &String| v.parse::<u32>().unwrap())
            .unwrap_or(0)
    };
    assert_eq!(
        count(aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessagesNotVisible)
            + count(aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessages),
        1,
        "only the malformed job is still on the queue"
    );
}

#[tokio::test]
async fn events_reach_the_bus_in_batches_with_source_and_detail_type() {
    let sdk = sdk().await;
    let eb = aws_sdk_eventbridge::Client::new(&sdk);
    let bus = unique("bus");
    eb.create_event_bus().name(&bus).send().await.unwrap();
    // A rule that copies every hearth event to a queue we can read.
    let (_, sqs, url) = queue().await;
    let arn = queue_arn(&sqs, &url).await;
    eb.put_rule()
        .name("all-hearth")
        .event_bus_name(&bus)
        .event_pattern(r#"{"source":["hearth"]}"#)
        .send()
        .await
        .unwrap();
    eb.put_targets()
        .rule("all-hearth")
        .event_bus_name(&bus)
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

    let user = UserId::parse("alice").unwrap();
    let at = chrono::Utc::now();
    let mut events: Vec<DomainEvent> = (0..11)
        .map(|i| DomainEvent::MemoriesUpdated {
            user: user.clone(),
            count: i,
            at,
        })
        .collect();
    events.push(DomainEvent::crisis_flagged(
        &user,
        at,
        &Flagged::by_rule(CrisisCategory::Suicidal, "goodbyes"),
        FlagSource::Chat,
    ));
    EventBridgeBus::new(eb.clone(), &bus)
        .publish(&events)
        .await
        .unwrap();

    let mut received = Vec::new();
    for _ in 0..20 {
        let out = sqs
            .receive_message()
            .queue_url(&url)
            .max_number_of_messages(10)
            .send()
            .await
            .unwrap();
        for m in out.messages.unwrap_or_default() {
            received.push(
                serde_json::from_str::<serde_json::Value>(m.body.as_deref().unwrap()).unwrap(),
            );
        }
        if received.len() >= 12 {
            break;
        }
    }
    assert_eq!(
        received.len(),
        12,
        "all 12 events, across two PutEvents batches"
    );
    assert!(received.iter().all(|e| e["source"] == "hearth"));
    let crisis: Vec<_> = received
        .iter()
        .filter(|e| e["detail-type"] == "CrisisFlagged")
        .collect();
    assert_eq!(crisis.len(), 1);
    assert_eq!(crisis[0]["detail"]["user"], "alice");
    assert_eq!(
        crisis[0]["detail"]["reason"],
        serde_json::json!({"layer": "rules", "rule": "goodbyes"}),
        "the event says which layer fired and why"
    );
}

#[tokio::test]
async fn provisioning_is_idempotent_and_sets_the_redrive_policy() {
    let sdk = sdk().await;
    let prefix = unique("p");
    let first = hearth::adapters::provision::provision(&sdk, &prefix, 5)
        .await
        .unwrap();
    let again = hearth::adapters::provision::provision(&sdk, &prefix, 5)
        .await
        .unwrap();
    assert_eq!(first, again);
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    let attrs = sqs
        .get_queue_attributes()
        .queue_url(&first.queue_url)
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::All)
        .send()
        .await
        .unwrap()
        .attributes
        .unwrap();
    let redrive: serde_json::Value =
        serde_json::from_str(&attrs[&aws_sdk_sqs::types::QueueAttributeName::RedrivePolicy])
            .unwrap();
    assert_eq!(
        redrive["maxReceiveCount"].to_string().trim_matches('"'),
        "5"
    );
    assert!(
        redrive["deadLetterTargetArn"]
            .as_str()
            .unwrap()
            .ends_with("-jobs-dlq")
    );
    let ddb = aws_sdk_dynamodb::Client::new(&sdk);
    let table = ddb
        .describe_table()
        .table_name(&first.table)
        .send()
        .await
        .unwrap()
        .table
        .unwrap();
    assert_eq!(table.global_secondary_indexes().len(), 1);
    assert_eq!(table.local_secondary_indexes().len(), 1);
    let ttl = ddb
        .describe_time_to_live()
        .table_name(&first.table)
        .send()
        .await
        .unwrap();
    assert_eq!(
        ttl.time_to_live_description.unwrap().attribute_name(),
        Some(schema::TTL_ATTRIBUTE)
    );
}

/// template.yaml and the code describe the same table and queue.
mod template {
    use super::schema;
    use hearth::config::{Config, Mode, ScreenModel};
    use serde_yaml_ng::Value;

    fn template() -> Value {
        let text =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../template.yaml"))
                .unwrap();
        serde_yaml_ng::from_str(&text).unwrap()
    }

    fn strip(v: &Value) -> &Value {
        match v {
            Value::Tagged(t) => &t.value,
            v => v,
        }
    }

    fn key_spec(v: &Value) -> schema::KeySpec {
        let elems = v.as_sequence().unwrap();
        let find = |kind: &str| {
            elems
                .iter()
                .find(|e| e["KeyType"].as_str() == Some(kind))
                .map(|e| e["AttributeName"].as_str().unwrap().to_string())
        };
        schema::KeySpec {
            hash: find("HASH").unwrap(),
            range: find("RANGE"),
        }
    }

    fn indexes(v: &Value) -> Vec<(String, schema::KeySpec)> {
        let mut out: Vec<_> = v
            .as_sequence()
            .map(|s| {
                s.iter()
                    .map(|i| {
                        (
                            i["IndexName"].as_str().unwrap().to_string(),
                            key_spec(&i["KeySchema"]),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        out.sort_by(|a: &(String, _), b| a.0.cmp(&b.0));
        out
    }

    /// The encoder's files reach the functions that screen or encode (chat,
    /// and the job worker, which screens journal prompts' and check-ins'
    /// reads and encodes for retrieval), through the layer that
    /// scripts/build-encoder-layer fills, at the path the code is told.
    #[test]
    fn the_encoder_layer_reaches_every_function_that_screens() {
        let t = template();
        let resources = &t["Resources"];
        let layer = &resources["EncoderLayer"];
        assert_eq!(
            layer["Type"].as_str(),
            Some("AWS::Serverless::LayerVersion")
        );
        let content = layer["Properties"]["ContentUri"].as_str().unwrap();
        let script = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../scripts/build-encoder-layer"
        ))
        .unwrap();
        assert!(
            script.contains(&format!("out={content}\n")),
            "the layer's ContentUri {content} is not where scripts/build-encoder-layer writes"
        );
        let refs_layer = |props: &Value| {
            props["Layers"].as_sequence().is_some_and(|ls| {
                ls.iter().any(|l| match l {
                    Value::Tagged(t) => t.tag == "!Ref" && t.value.as_str() == Some("EncoderLayer"),
                    _ => false,
                })
            })
        };
        for function in ["ChatFunction", "JobWorkerFunction"] {
            let props = &resources[function]["Properties"];
            assert!(refs_layer(props), "{function} lacks the encoder layer");
            let vars = &props["Environment"]["Variables"];
            // The encoder's and the classifier's files, each where the
            // script puts them inside the layer.
            for var in ["HEARTH_ENCODER_DIR", "HEARTH_CLASSIFIER_DIR"] {
                let dir = vars[var]
                    .as_str()
                    .unwrap_or_else(|| panic!("{function} has no {var}"));
                let inside = dir.strip_prefix("/opt/").unwrap_or_else(|| {
                    panic!("{function}: {var} {dir} is not under the layer's /opt")
                });
                assert!(
                    script.contains(&format!("$out/{inside}")),
                    "{function}: scripts/build-encoder-layer does not fill {var}'s {inside}"
                );
            }
            assert_eq!(
                vars["HEARTH_SCREEN_MODEL"].as_str(),
                Some("required"),
                "{function} must not start without the crisis screen's model"
            );
            let config = Config::from_env(
                |k| {
                    vars[k]
                        .as_str()
                        .map(str::to_string)
                        .or_else(|| (k == "HEARTH_JWT_SECRET").then(|| "s".into()))
                },
                Mode::Lambda,
            )
            .unwrap_or_else(|e| panic!("{function}'s variables: {e}"));
            assert_eq!(config.screen_model, ScreenModel::Required);
        }
        // The hourly pass only fans out jobs: it needs no model.
        assert!(!refs_layer(
            &resources["DailyCheckinFunction"]["Properties"]
        ));
    }

    #[test]
    fn the_table_in_template_yaml_matches_the_code() {
        let t = template();
        let table = &t["Resources"]["Table"]["Properties"];
        let mut attrs: Vec<String> = table["AttributeDefinitions"]
            .as_sequence()
            .unwrap()
            .iter()
            .map(|a| {
                assert_eq!(a["AttributeType"].as_str(), Some("S"));
                a["AttributeName"].as_str().unwrap().to_string()
            })
            .collect();
        attrs.sort();
        let from_template = schema::TableSpec {
            key: key_spec(&table["KeySchema"]),
            global_indexes: indexes(&table["GlobalSecondaryIndexes"]),
            local_indexes: indexes(&table["LocalSecondaryIndexes"]),
            string_attributes: attrs,
            ttl_attribute: table["TimeToLiveSpecification"]["AttributeName"]
                .as_str()
                .unwrap()
                .to_string(),
        };
        assert_eq!(from_template, schema::table_spec());
        assert_eq!(
            table["TimeToLiveSpecification"]["Enabled"].as_bool(),
            Some(true)
        );
        assert_eq!(table["BillingMode"].as_str(), Some("PAY_PER_REQUEST"));
        assert_eq!(
            table["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"].as_bool(),
            Some(true)
        );
    }

    #[test]
    fn the_queue_in_template_yaml_matches_the_code() {
        let t = template();
        let queue = &t["Resources"]["JobQueue"]["Properties"];
        let max = strip(&queue["RedrivePolicy"]["maxReceiveCount"]);
        let max = match max.as_u64() {
            Some(n) => n,
            None => {
                let param = max.as_str().unwrap();
                t["Parameters"][param]["Default"].as_u64().unwrap()
            }
        };
        assert_eq!(max, u64::from(schema::DEFAULT_MAX_RECEIVES));
        assert_eq!(
            queue["VisibilityTimeout"].as_u64(),
            Some(u64::from(schema::QUEUE_VISIBILITY_TIMEOUT_SECS))
        );
        let dlq = &t["Resources"]["JobDeadLetterQueue"]["Properties"];
        assert_eq!(
            dlq["MessageRetentionPeriod"].as_u64(),
            Some(u64::from(schema::DLQ_RETENTION_SECS))
        );
        // The queue hides a job longer than the extractor may run.
        let timeout = t["Resources"]["JobWorkerFunction"]["Properties"]["Timeout"]
            .as_u64()
            .unwrap();
        assert!(u64::from(schema::QUEUE_VISIBILITY_TIMEOUT_SECS) > timeout);
    }
}

#[tokio::test]
async fn a_dynamodb_failure_reaches_the_caller_as_a_503_json_error() {
    use hearth::adapters::dynamodb::DynamoStore;
    use hearth::adapters::embedded::EmbeddedStore;
    use hearth::config::{Config, Mode};
    let sdk = sdk().await;
    let missing = DynamoStore::new(aws_sdk_dynamodb::Client::new(&sdk), unique("no-such-table"));
    let dir = tempfile::tempdir().unwrap();
    let local = EmbeddedStore::open(dir.path()).unwrap();
    let queue = Arc::new(hearth::adapters::embedded::EmbeddedQueue::new(
        local.clone(),
        Default::default(),
    ));
    let missing = Arc::new(missing);
    let ports = hearth::ports::Ports {
        conversations: missing.clone(),
        memories: missing.clone(),
        settings: missing.clone(),
        checkins: missing.clone(),
        journal: missing.clone(),
        reports: missing.clone(),
        personal_data: missing,
        events: Arc::new(local),
        queue,
        risk: None,
    };
    let env = |k: &str| (k == "HEARTH_JWT_SECRET").then(|| hearth_tests::SECRET.to_string());
    let config = Config::from_env(env, Mode::Lambda).unwrap();
    let app = Arc::new(hearth::app::App::new(
        &config,
        ports,
        reqwest::Client::new(),
    ));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, hearth::http::router(app)).await });
    let token = hearth_tests::token_with(serde_json::json!({"sub": "alice"}));
    let resp = reqwest::Client::new()
        .post(format!("{url}/v1/chat"))
        .bearer_auth(token)
        .json(&serde_json::json!({"message": "hello"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 503);
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["error"]["code"], "store_unavailable");
}

/// The memory pipeline on DynamoDB + SQS + EventBridge (moto), with the
/// worker consuming SQS as `hearth serve --backend aws` does.
mod pipeline {
    use super::*;
    use hearth::adapters::aws::AwsAdapters;
    use hearth::config::AwsResources;
    use hearth::config::{Config, Mode};
    use hearth_tests::{anthropic_answers, extraction_requests, openai_ok};
    use serde_json::{Value, json};
    use wiremock::matchers::body_string_contains;
    use wiremock::{Mock, MockServer};

    struct Stack {
        url: String,
        app: Arc<hearth::app::App>,
        aws: AwsAdapters,
        sqs: aws_sdk_sqs::Client,
        dlq_url: String,
        openai: MockServer,
        _anthropic: MockServer,
        _stop: tokio::sync::watch::Sender<bool>,
    }

    /// Table, bus, and a queue whose redrive sends a job to the DLQ after
    /// 2 receives, hidden 1 s per receive, so failures surface quickly.
    async fn stack(extraction: wiremock::ResponseTemplate) -> Stack {
        let sdk = sdk().await;
        let table = fresh_table().await;
        let sqs = aws_sdk_sqs::Client::new(&sdk);
        let dlq_url = sqs
            .create_queue()
            .queue_name(unique("dlq"))
            .send()
            .await
            .unwrap()
            .queue_url
            .unwrap();
        let dlq_arn = queue_arn(&sqs, &dlq_url).await;
        let queue_url = sqs
            .create_queue()
            .queue_name(unique("jobs"))
            .attributes(
                aws_sdk_sqs::types::QueueAttributeName::VisibilityTimeout,
                "1",
            )
            .attributes(
                aws_sdk_sqs::types::QueueAttributeName::RedrivePolicy,
                json!({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 2}).to_string(),
            )
            .send()
            .await
            .unwrap()
            .queue_url
            .unwrap();
        let bus = unique("bus");
        aws_sdk_eventbridge::Client::new(&sdk)
            .create_event_bus()
            .name(&bus)
            .send()
            .await
            .unwrap();
        let resources = AwsResources {
            table: table.table().to_string(),
            queue_url,
            event_bus: bus,
        };
        let aws = AwsAdapters::new(&sdk, &resources);

        let anthropic = MockServer::start().await;
        anthropic_answers(&anthropic, "I hear you.").await;
        let openai = MockServer::start().await;
        Mock::given(body_string_contains("memory_extraction"))
            .respond_with(extraction)
            .mount(&openai)
            .await;
        let env = [
            ("HEARTH_JWT_SECRET", hearth_tests::SECRET.to_string()),
            ("ANTHROPIC_API_KEY", "k".into()),
            ("ANTHROPIC_BASE_URL", anthropic.uri()),
            ("OPENAI_API_KEY", "o".into()),
            ("OPENAI_BASE_URL", format!("{}/v1", openai.uri())),
        ];
        let config = Config::from_env(
            |k| env.iter().find(|(n, _)| *n == k).map(|(_, v)| v.clone()),
            Mode::Lambda,
        )
        .unwrap();
        let app = Arc::new(hearth::app::App::with_parts(
            &config,
            aws.ports(),
            reqwest::Client::new(),
            hearth_tests::fast_policy(),
            Arc::new(hearth::ports::SystemClock),
        ));
        let (stop, stopped) = tokio::sync::watch::channel(false);
        tokio::spawn(run_worker(
            Arc::new(aws.queue.clone()),
            app.dispatcher(),
            stopped,
        ));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let router = hearth::http::router(app.clone());
        tokio::spawn(async move { axum::serve(listener, router).await });
        Stack {
            url,
            app,
            aws,
            sqs,
            dlq_url,
            openai,
            _anthropic: anthropic,
            _stop: stop,
        }
    }

    async fn post(stack: &Stack, body: Value) -> Value {
        let token = hearth_tests::token_with(json!({"sub": "alice"}));
        let resp = reqwest::Client::new()
            .post(format!("{}/v1/chat", stack.url))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        resp.json().await.unwrap()
    }

    async fn six_messages(stack: &Stack) -> String {
        let first = post(
            stack,
            json!({"message": "My sister Maya visits on Fridays."}),
        )
        .await;
        let session = first["session_id"].as_str().unwrap().to_string();
        for m in ["We bake.", "It helps."] {
            post(stack, json!({"message": m, "session_id": session})).await;
        }
        session
    }

    async fn memories(stack: &Stack) -> Vec<hearth::domain::memory::Memory> {
        let filter = hearth::domain::memory::MemoryFilter {
            include_superseded: true,
            category: None,
        };
        stack
            .aws
            .store
            .list_memories(
                &UserId::parse("alice").unwrap(),
                &filter,
                &PageRequest::first(50),
            )
            .await
            .unwrap()
            .items
    }

    async fn eventually<F: std::future::Future<Output = bool>>(
        mut check: impl FnMut() -> F,
    ) -> bool {
        for _ in 0..150 {
            if check().await {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        false
    }

    #[tokio::test]
    async fn jobs_from_the_chat_path_are_extracted_from_sqs_into_dynamodb_once_whatever_the_deliveries()
     {
        let answer = json!({"memories": [{"op": "add", "category": "relationships", "content": "Has a sister named Maya.",
                                           "importance": 6, "sources": ["m1"], "target": ""}], "summary": "Maya."});
        let stack = stack(openai_ok(&answer.to_string())).await;
        let session = six_messages(&stack).await;
        assert!(
            eventually(|| async { memories(&stack).await.len() == 1 }).await,
            "extracted from SQS"
        );
        let before = memories(&stack).await;
        assert_eq!(before[0].content, "Has a sister named Maya.");
        // Two more deliveries of the same job.
        let job = Job::ExtractSession {
            user: UserId::parse("alice").unwrap(),
            session_id: SessionId::parse(&session).unwrap(),
            from_seq: 1,
            to_seq: 6,
        };
        stack.aws.queue.enqueue(&job).await.unwrap();
        stack.aws.queue.enqueue(&job).await.unwrap();
        let drained = eventually(|| async {
            let attrs = stack
                .sqs
                .get_queue_attributes()
                .queue_url(stack.aws_queue_url())
                .attribute_names(aws_sdk_sqs::types::QueueAttributeName::All)
                .send()
                .await
                .unwrap()
                .attributes
                .unwrap();
            let n = |k| {
                attrs
                    .get(&k)
                    .and_then(|v: &String| v.parse::<u32>().ok())
                    .unwrap_or(0)
            };
            n(aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessages)
                + n(aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessagesNotVisible)
                == 0
        })
        .await;
        assert!(drained);
        assert_eq!(memories(&stack).await, before);
        assert_eq!(
            extraction_requests(&stack.openai).await.len(),
            1,
            "redeliveries make no model call"
        );
        let state = stack
            .aws
            .store
            .extraction_state(
                &UserId::parse("alice").unwrap(),
                &SessionId::parse(&session).unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(
            (state.extracted_through, state.summary.as_deref()),
            (6, Some("Maya."))
        );
        let _ = &stack.app;
    }

    #[tokio::test]
    async fn a_poison_job_reaches_the_dlq_with_nothing_written() {
        let stack = stack(openai_ok("not json at all")).await;
        six_messages(&stack).await;
        let dead = eventually(|| async {
            let out = stack
                .sqs
                .receive_message()
                .queue_url(&stack.dlq_url)
                .send()
                .await
                .unwrap();
            out.messages.is_some_and(|m| !m.is_empty())
        })
        .await;
        assert!(dead, "the job was moved to the DLQ by the redrive policy");
        assert!(memories(&stack).await.is_empty());
        assert!(
            extraction_requests(&stack.openai).await.len() >= 2,
            "retried before dead-lettering"
        );
    }

    impl Stack {
        fn aws_queue_url(&self) -> &str {
            self.aws.queue.url()
        }
    }
}

async fn dynamo_all() -> (Arc<hearth::adapters::dynamodb::DynamoStore>, ()) {
    (Arc::new(fresh_table().await), ())
}

mod dynamodb_personal_data {
    use super::dynamo_all;
    hearth::personal_data_contract!(dynamo_all);
}

mod dynamodb_safety_reports {
    use super::dynamo_all;
    hearth::safety_reports_contract!(dynamo_all);
}

/// The standing rule on DynamoDB: every `kind` found in a person's
/// partition is declared, exported and erased; after the erase a direct
/// read of the partition finds only the erasure marker.
#[tokio::test]
async fn every_dynamodb_item_kind_is_covered_by_export_and_erase() {
    use hearth::domain::personal_data::ItemKind;
    use hearth::ports::PersonalData;
    let store = fresh_table().await;
    let u = UserId::parse("covered").unwrap();
    hearth::contract::personal_data::seed(&store, &u).await;
    let client = aws_sdk_dynamodb::Client::new(&sdk().await);
    let read_partition = || async {
        client
            .query()
            .table_name(store.table())
            .key_condition_expression("PK = :pk")
            .expression_attribute_values(
                ":pk",
                aws_sdk_dynamodb::types::AttributeValue::S("U#covered".into()),
            )
            .send()
            .await
            .unwrap()
            .items
            .unwrap_or_default()
    };
    let stored: std::collections::BTreeSet<String> = read_partition()
        .await
        .iter()
        .map(|i| i["kind"].as_s().unwrap().clone())
        .collect();
    let page = store.export_page(&u, None, 1 << 20).await.unwrap();
    let exported: std::collections::BTreeSet<String> = page
        .items
        .iter()
        .map(|i| i.kind.as_str().to_string())
        .collect();
    let receipt = store.erase(&u, chrono::Utc::now()).await.unwrap();
    for kind in &stored {
        assert!(
            store.item_kinds().iter().any(|k| k.as_str() == kind),
            "{kind} is stored but not declared"
        );
        assert!(exported.contains(kind), "export is missing {kind}");
        assert!(
            ItemKind::parse(kind).is_some_and(|k| receipt.get(k) > 0),
            "erase did not delete {kind}"
        );
    }
    assert_eq!(
        stored.len(),
        store.item_kinds().len(),
        "every declared kind was seeded"
    );
    let left: Vec<String> = read_partition()
        .await
        .iter()
        .map(|i| i["kind"].as_s().unwrap().clone())
        .collect();
    assert_eq!(
        left,
        vec!["erasure".to_string()],
        "only the marker (user id and time) remains"
    );
}
