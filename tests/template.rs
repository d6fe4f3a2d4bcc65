//! template.yaml's least privilege and operations, held to the code:
//! - each function's role grants exactly the calls its code makes (the
//!   table below, read off the adapters and each function's services), and
//!   every SDK call in the adapters is in the table or is the operator's;
//! - each secret reaches only the functions that use it, by id, read at
//!   start through the Parameters and Secrets extension, never as a
//!   plaintext variable;
//! - every alarm notifies the operator's SNS topic;
//! - the event bus has an archive, and `CrisisFlagged` can reach an
//!   on-call target.
//!
//! moto does not enforce IAM, so no other test would see a missing grant.

use serde_yaml_ng::Value;
use std::collections::{BTreeMap, BTreeSet};

fn template() -> Value {
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../template.yaml")).unwrap();
    serde_yaml_ng::from_str(&text).unwrap()
}

/// The calls each function's code makes, as IAM actions, and under which
/// template condition (None: always).
///
/// - chat: every store operation but Scan (erase is a BatchWriteItem;
///   transactions are checked per item: Put, Update, Delete,
///   ConditionCheck), extraction and journal jobs enqueued, events
///   published, the JWT secret and both model keys;
/// - job-worker: extraction writes memories and compacts the retrieval
///   index (Put, Update, Delete, ConditionCheck in transactions), a long
///   session enqueues its follow-up extraction job, check-ins publish
///   `CheckInReady`; the model keys, and the FCM credentials when push is
///   on. Its SQS receive and delete are the event source mapping's (SAM
///   adds them), not the code's;
/// - daily-checkin: reads the activity index, settings and sessions
///   (GetItem, Query), claims an idle session's extraction (a conditional
///   PutItem), enqueues jobs; no secret, no event.
///
/// Every function uses the customer-managed key when one is given.
/// An IAM action, and the condition it is granted under.
type Grant = (&'static str, Option<&'static str>);

const FUNCTIONS: &[(&str, &[Grant])] = &[
    (
        "ChatFunction",
        &[
            ("dynamodb:GetItem", None),
            ("dynamodb:PutItem", None),
            ("dynamodb:UpdateItem", None),
            ("dynamodb:DeleteItem", None),
            ("dynamodb:ConditionCheckItem", None),
            ("dynamodb:BatchWriteItem", None),
            ("dynamodb:Query", None),
            ("sqs:SendMessage", None),
            ("events:PutEvents", None),
            ("secretsmanager:GetSecretValue", None),
            ("kms:Decrypt", Some("HasKmsKey")),
            ("kms:GenerateDataKey", Some("HasKmsKey")),
        ],
    ),
    (
        "JobWorkerFunction",
        &[
            ("dynamodb:GetItem", None),
            ("dynamodb:PutItem", None),
            ("dynamodb:UpdateItem", None),
            ("dynamodb:DeleteItem", None),
            ("dynamodb:ConditionCheckItem", None),
            ("dynamodb:Query", None),
            ("sqs:SendMessage", None),
            ("events:PutEvents", None),
            ("secretsmanager:GetSecretValue", None),
            ("secretsmanager:GetSecretValue", Some("HasFcm")),
            ("kms:Decrypt", Some("HasKmsKey")),
            ("kms:GenerateDataKey", Some("HasKmsKey")),
        ],
    ),
    (
        "DailyCheckinFunction",
        &[
            ("dynamodb:GetItem", None),
            ("dynamodb:PutItem", None),
            ("dynamodb:Query", None),
            ("sqs:SendMessage", None),
            ("kms:Decrypt", Some("HasKmsKey")),
            ("kms:GenerateDataKey", Some("HasKmsKey")),
        ],
    ),
];

/// The secrets each function reads (template parameters naming them), and
/// the variable each becomes.
const SECRETS: &[(&str, &[(&str, &str)])] = &[
    (
        "ChatFunction",
        &[
            ("HEARTH_JWT_SECRET", "JwtSecretName"),
            ("ANTHROPIC_API_KEY", "AnthropicApiKeySecretName"),
            ("OPENAI_API_KEY", "OpenAiApiKeySecretName"),
        ],
    ),
    (
        "JobWorkerFunction",
        &[
            ("ANTHROPIC_API_KEY", "AnthropicApiKeySecretName"),
            ("OPENAI_API_KEY", "OpenAiApiKeySecretName"),
            ("HEARTH_FCM_SERVICE_ACCOUNT", "FcmServiceAccountSecretName"),
        ],
    ),
    ("DailyCheckinFunction", &[]),
];

/// A statement's actions and resources, under a condition.
struct Statement {
    condition: Option<String>,
    actions: Vec<String>,
    resources: Vec<Value>,
}

fn strings(v: &Value) -> Vec<String> {
    match v {
        Value::String(s) => vec![s.clone()],
        Value::Sequence(s) => s.iter().map(|a| a.as_str().unwrap().to_string()).collect(),
        other => panic!("not a string or a list: {other:?}"),
    }
}

fn values(v: &Value) -> Vec<Value> {
    match v {
        Value::Sequence(s) => s.clone(),
        other => vec![other.clone()],
    }
}

fn tagged<'a>(v: &'a Value, tag: &str) -> Option<&'a Value> {
    match v {
        Value::Tagged(t) if t.tag == tag => Some(&t.value),
        _ => None,
    }
}

/// Every statement of a function's `Policies`. A SAM policy template
/// (`SQSSendMessagePolicy`, ...) is refused: they grant wildcards
/// (`sqs:SendMessage*`), more than the code calls.
fn statements(function: &str, policies: &Value) -> Vec<Statement> {
    let mut out = Vec::new();
    for policy in policies.as_sequence().unwrap() {
        let (condition, document) = match tagged(policy, "!If") {
            Some(args) => {
                let args = args.as_sequence().unwrap();
                assert!(
                    tagged(&args[2], "!Ref").and_then(Value::as_str) == Some("AWS::NoValue"),
                    "{function}: a conditional policy grants nothing when its condition is false"
                );
                (Some(args[0].as_str().unwrap().to_string()), &args[1])
            }
            None => (None, policy),
        };
        let list = document
            .get("Statement")
            .unwrap_or_else(|| panic!("{function}: {document:?} is not an explicit Statement"));
        for s in list.as_sequence().unwrap() {
            assert_eq!(s["Effect"].as_str(), Some("Allow"), "{function}");
            out.push(Statement {
                condition: condition.clone(),
                actions: strings(&s["Action"]),
                resources: values(&s["Resource"]),
            });
        }
    }
    out
}

fn resource(t: &Value, function: &str) -> Value {
    let r = t["Resources"][function].clone();
    assert_eq!(
        r["Type"].as_str(),
        Some("AWS::Serverless::Function"),
        "{function}"
    );
    r
}

#[test]
fn each_role_grants_exactly_the_calls_its_code_makes() {
    let t = template();
    let functions: BTreeSet<&str> = t["Resources"]
        .as_mapping()
        .unwrap()
        .iter()
        .filter(|(_, r)| r["Type"].as_str() == Some("AWS::Serverless::Function"))
        .map(|(k, _)| k.as_str().unwrap())
        .collect();
    assert_eq!(
        functions,
        FUNCTIONS.iter().map(|(f, _)| *f).collect(),
        "every function is in the table"
    );
    for (function, expected) in FUNCTIONS {
        let props = &resource(&t, function)["Properties"];
        assert!(
            props.get("Role").is_none(),
            "{function}: its role is SAM's, from Policies"
        );
        let granted: BTreeSet<(String, Option<String>)> = statements(function, &props["Policies"])
            .into_iter()
            .flat_map(|s| {
                let c = s.condition;
                s.actions.into_iter().map(move |a| (a, c.clone()))
            })
            .collect();
        let expected: BTreeSet<(String, Option<String>)> = expected
            .iter()
            .map(|(a, c)| (a.to_string(), c.map(str::to_string)))
            .collect();
        let extra: Vec<_> = granted.difference(&expected).collect();
        let missing: Vec<_> = expected.difference(&granted).collect();
        assert!(
            extra.is_empty() && missing.is_empty(),
            "{function}: grants {extra:?} that its code does not call; lacks {missing:?} that it does"
        );
    }
}

#[test]
fn every_statement_is_scoped_to_the_stacks_own_resources() {
    let t = template();
    for (function, _) in FUNCTIONS {
        let props = &resource(&t, function)["Properties"];
        for s in statements(function, &props["Policies"]) {
            let service = s.actions[0].split(':').next().unwrap().to_string();
            assert!(
                s.actions
                    .iter()
                    .all(|a| a.starts_with(&format!("{service}:"))),
                "{function}: one statement per service"
            );
            for r in &s.resources {
                let text = serde_yaml_ng::to_string(r).unwrap();
                assert!(
                    !text.trim().trim_matches('\'').eq("*"),
                    "{function}: {service} on every resource"
                );
                let expected: &[&str] = match service.as_str() {
                    "dynamodb" => &["Table"],
                    "sqs" => &["JobQueue.Arn"],
                    "events" => &["EventBus.Arn"],
                    "secretsmanager" => {
                        &["secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:"]
                    }
                    "kms" => &["KmsKeyArn"],
                    other => panic!("{function}: an unexpected service {other}"),
                };
                assert!(
                    expected.iter().any(|e| text.contains(e)),
                    "{function}: {service} on {text}"
                );
            }
        }
    }
}

/// The IAM actions of the SDK calls in the adapter sources.
fn sdk_calls(source: &str) -> BTreeSet<&'static str> {
    const CALLS: &[(&str, &str)] = &[
        (".get_item()", "dynamodb:GetItem"),
        (".put_item()", "dynamodb:PutItem"),
        (".update_item()", "dynamodb:UpdateItem"),
        (".delete_item()", "dynamodb:DeleteItem"),
        (".query()", "dynamodb:Query"),
        (".scan()", "dynamodb:Scan"),
        (".batch_write_item()", "dynamodb:BatchWriteItem"),
        (".batch_get_item()", "dynamodb:BatchGetItem"),
        (".transact_get_items()", "dynamodb:GetItem"),
        ("Put::builder()", "dynamodb:PutItem"),
        ("Update::builder()", "dynamodb:UpdateItem"),
        ("Delete::builder()", "dynamodb:DeleteItem"),
        ("ConditionCheck::builder()", "dynamodb:ConditionCheckItem"),
        (".send_message()", "sqs:SendMessage"),
        (".send_message_batch()", "sqs:SendMessage"),
        (".receive_message()", "sqs:ReceiveMessage"),
        (".delete_message()", "sqs:DeleteMessage"),
        (
            ".change_message_visibility()",
            "sqs:ChangeMessageVisibility",
        ),
        (".put_events()", "events:PutEvents"),
        (".get_secret_value()", "secretsmanager:GetSecretValue"),
    ];
    CALLS
        .iter()
        .filter(|(call, _)| source.contains(call))
        .map(|(_, action)| *action)
        .collect()
}

/// A call an adapter makes that no function's table lists is either one
/// only the operator's `hearth` runs (Scan, for `hearth migrate`; receive
/// and delete, for `hearth serve`'s own worker and `hearth jobs`) or a
/// grant the table and the template lack.
#[test]
fn every_sdk_call_in_the_adapters_is_granted_or_the_operators() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/src/adapters");
    let mut sources = vec![
        format!("{root}/sqs.rs"),
        format!("{root}/eventbridge.rs"),
        format!("{root}/secrets.rs"),
    ];
    for entry in std::fs::read_dir(format!("{root}/dynamodb")).unwrap() {
        sources.push(entry.unwrap().path().display().to_string());
    }
    let mut called = BTreeSet::new();
    for path in &sources {
        let text = std::fs::read_to_string(path).unwrap();
        called.extend(sdk_calls(&text));
    }
    // The extension is a GET on localhost, not an SDK call; it stands for
    // GetSecretValue.
    assert!(
        std::fs::read_to_string(format!("{root}/secrets.rs"))
            .unwrap()
            .contains("/secretsmanager/get?secretId=")
    );
    called.insert("secretsmanager:GetSecretValue");
    let granted: BTreeSet<&str> = FUNCTIONS
        .iter()
        .flat_map(|(_, ops)| ops.iter().map(|(a, _)| *a))
        .collect();
    let operators = BTreeSet::from(["dynamodb:Scan", "sqs:ReceiveMessage", "sqs:DeleteMessage"]);
    let unaccounted: Vec<_> = called
        .iter()
        .filter(|a| !granted.contains(*a) && !operators.contains(*a))
        .collect();
    assert!(
        unaccounted.is_empty(),
        "the adapters call {unaccounted:?}, which no function is granted"
    );
    // The table is not wider than the code either.
    let unused: Vec<_> = granted
        .iter()
        .filter(|a| !a.starts_with("kms:") && !called.contains(*a))
        .collect();
    assert!(
        unused.is_empty(),
        "the table grants {unused:?}, which no adapter calls"
    );
}

#[test]
fn each_secret_reaches_only_the_functions_that_use_it_read_at_start() {
    let t = template();
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../template.yaml")).unwrap();
    assert!(
        !text.contains("{{resolve:secretsmanager"),
        "a secret resolved into the template becomes a plaintext variable"
    );
    let globals = &t["Globals"]["Function"]["Environment"]["Variables"];
    for (var, id_var) in hearth::adapters::secrets::SECRET_VARIABLES {
        assert!(
            globals.get(var).is_none(),
            "{var} is given to every function"
        );
        assert!(
            globals.get(id_var).is_none(),
            "{var}'s secret is given to every function"
        );
    }
    for (function, secrets) in SECRETS {
        let props = &resource(&t, function)["Properties"];
        let vars = &props["Environment"]["Variables"];
        let mut given = BTreeMap::new();
        for (var, id_var) in hearth::adapters::secrets::SECRET_VARIABLES {
            assert!(
                vars.get(var).is_none(),
                "{function}: {var} is a plaintext variable"
            );
            if let Some(v) = vars.get(id_var) {
                let param = match tagged(v, "!If") {
                    Some(args) => &args.as_sequence().unwrap()[1],
                    None => v,
                };
                let param = tagged(param, "!Ref").and_then(Value::as_str).unwrap();
                given.insert(var.to_string(), param.to_string());
            }
        }
        let expected: BTreeMap<String, String> = secrets
            .iter()
            .map(|(v, p)| (v.to_string(), p.to_string()))
            .collect();
        assert_eq!(given, expected, "{function}'s secrets");
        // It may read those secrets and no other.
        let readable: BTreeSet<String> = statements(function, &props["Policies"])
            .into_iter()
            .filter(|s| s.actions.iter().any(|a| a.starts_with("secretsmanager:")))
            .flat_map(|s| s.resources)
            .map(|r| {
                let sub = tagged(&r, "!Sub")
                    .and_then(Value::as_str)
                    .unwrap()
                    .to_string();
                let param = sub
                    .split("secret:${")
                    .nth(1)
                    .and_then(|rest| rest.split('}').next())
                    .unwrap_or_else(|| panic!("{function}: {sub} names no secret parameter"));
                assert!(sub.ends_with("}-??????"), "{function}: {sub} is one secret");
                param.to_string()
            })
            .collect();
        assert_eq!(
            readable,
            expected.values().cloned().collect(),
            "{function} may read exactly its own secrets"
        );
        // Read through the extension's layer.
        let layers = props["Layers"].as_sequence().cloned().unwrap_or_default();
        let has_extension = layers
            .iter()
            .any(|l| tagged(l, "!Ref").and_then(Value::as_str) == Some("SecretsExtensionLayerArn"));
        assert_eq!(
            has_extension,
            !expected.is_empty(),
            "{function}: the extension's layer"
        );
    }
}

#[test]
fn every_alarm_notifies_the_operators_topic() {
    let t = template();
    let topic = &t["Parameters"]["AlarmTopicArn"];
    assert!(topic.get("Default").is_none(), "the topic is required");
    let mut alarms = 0;
    for (name, r) in t["Resources"].as_mapping().unwrap() {
        if r["Type"].as_str() != Some("AWS::CloudWatch::Alarm") {
            continue;
        }
        alarms += 1;
        for actions in ["AlarmActions", "OKActions"] {
            let refs: Vec<_> = r["Properties"][actions]
                .as_sequence()
                .unwrap_or_else(|| panic!("{name:?} has no {actions}"))
                .iter()
                .map(|a| tagged(a, "!Ref").and_then(Value::as_str))
                .collect();
            assert_eq!(refs, [Some("AlarmTopicArn")], "{name:?} {actions}");
        }
        // Each alarm has its runbook entry.
        let readme =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md")).unwrap();
        let name = name.as_str().unwrap();
        assert!(
            readme.contains(&format!("#### `{name}`")),
            "README's runbook has no section for {name}"
        );
    }
    assert!(alarms >= 5);
}

#[test]
fn the_bus_is_archived_and_crisis_flags_reach_the_on_call_target() {
    let t = template();
    let resources = &t["Resources"];
    let bus_arn = |v: &Value| tagged(v, "!GetAtt").and_then(Value::as_str) == Some("EventBus.Arn");
    let archive = resources
        .as_mapping()
        .unwrap()
        .values()
        .find(|r| r["Type"].as_str() == Some("AWS::Events::Archive"))
        .expect("an archive");
    assert!(bus_arn(&archive["Properties"]["SourceArn"]));
    assert!(
        archive["Properties"].get("EventPattern").is_none(),
        "every event is archived"
    );
    let rule = &resources["CrisisOnCallRule"];
    assert_eq!(rule["Type"].as_str(), Some("AWS::Events::Rule"));
    assert_eq!(rule["Condition"].as_str(), Some("HasOnCall"));
    let props = &rule["Properties"];
    assert_eq!(
        tagged(&props["EventBusName"], "!Ref").and_then(Value::as_str),
        Some("EventBus")
    );
    assert_eq!(
        strings(&props["EventPattern"]["source"]),
        [hearth::adapters::eventbridge::SOURCE]
    );
    assert_eq!(
        strings(&props["EventPattern"]["detail-type"]),
        ["CrisisFlagged"]
    );
    let targets = props["Targets"].as_sequence().unwrap();
    assert_eq!(targets.len(), 1);
    assert_eq!(
        tagged(&targets[0]["Arn"], "!Ref").and_then(Value::as_str),
        Some("CrisisOnCallTargetArn")
    );
}

/// The extension's variables the template sets are the ones
/// `hearth::adapters::secrets` reads, and a function's variables with its
/// secrets read make a valid configuration.
#[test]
fn a_functions_variables_and_its_secrets_make_its_configuration() {
    use hearth::app::lambda::{Auth, lambda_config_for};
    let t = template();
    let globals = &t["Globals"]["Function"]["Environment"]["Variables"];
    for (function, secrets) in SECRETS {
        let vars = &resource(&t, function)["Properties"]["Environment"]["Variables"];
        let auth = if secrets.iter().any(|(v, _)| *v == "HEARTH_JWT_SECRET") {
            Auth::Verifies
        } else {
            Auth::None
        };
        let get = |k: &str| -> Option<String> {
            if secrets.iter().any(|(v, _)| *v == k) {
                return Some(format!("{k}-from-secrets-manager"));
            }
            let v = vars.get(k).or_else(|| globals.get(k))?;
            Some(match v {
                Value::String(s) => s.clone(),
                Value::Number(n) => n.to_string(),
                // A parameter's default, or a resource's name or URL.
                v => match tagged(v, "!Ref").and_then(Value::as_str) {
                    Some(p) => match &t["Parameters"][p]["Default"] {
                        Value::String(s) => s.clone(),
                        Value::Number(n) => n.to_string(),
                        _ => format!("{p}-ref"),
                    },
                    None => format!("{k}-ref"),
                },
            })
        };
        let result = lambda_config_for(
            |k| get(k).filter(|_| k != "HEARTH_FCM_SERVICE_ACCOUNT"),
            auth,
        );
        match result {
            Ok((config, _)) => {
                // Chat verifies with the secret it read; a worker with one
                // nobody knows, made at start.
                let secret = config.auth.hs256_secret.expect("a secret");
                assert_eq!(
                    secret.expose() == "HEARTH_JWT_SECRET-from-secrets-manager",
                    auth == Auth::Verifies,
                    "{function}"
                );
                if auth == Auth::None {
                    assert!(secret.expose().len() >= 64, "{function}");
                }
            }
            Err(e) => panic!("{function}'s variables: {e}"),
        }
    }
}
