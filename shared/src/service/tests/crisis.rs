//! The crisis path of the chat turn on fakes, beyond the screen: the
//! model's risk mark (stripped always, a reroute when it marks a risk the
//! screen missed), the person's locale choosing the resources, a replayed
//! crisis turn, and what the logs of a crisis turn may say.

use super::{World, model_id, user};
use crate::domain::checkin::Settings;
use crate::domain::crisis_notice::CrisisNotice;
use crate::domain::events::DomainEvent;
use crate::domain::ids::{ClientMessageId, UserId};
use crate::domain::page::PageRequest;
use crate::domain::prompts::chat::FIXED_CRISIS_REPLY;
use crate::domain::route::{ModelRole, Route};
use crate::domain::safety::CrisisCategory;
use crate::domain::safety::flag::{CrisisReason, FlagSource};
use crate::domain::triage;
use crate::ports::{ConversationStore, ModelError, SettingsStore};
use crate::service::chat::{ChatOutcome, ChatRequest, ChatService};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A message the screen does not flag.
const MISSED: &str = "Everything feels heavy lately and I'm not sure what the point is.";
const REASONING: &str = "Should I take the job in Berlin or stay? Help me decide.";
const CRISIS: &str = "I want to kill myself";

fn service(w: &World) -> ChatService {
    ChatService::new(
        w.fakes.ports(),
        w.roles(),
        w.fakes.clock.clone(),
        Duration::from_secs(25),
        "en-US".into(),
        w.retriever.clone(),
    )
}

fn ask(text: &str) -> ChatRequest {
    ChatRequest {
        remember: true,
        message: text.into(),
        session_id: None,
        client_message_id: None,
    }
}

fn route_and_model(out: &ChatOutcome) -> (Route, String) {
    let meta = out.reply.reply.as_ref().expect("a reply carries its meta");
    (meta.route, meta.model.clone())
}

fn resources(category: CrisisCategory, locale: &str) -> String {
    CrisisNotice::new(category, locale, locale).render()
}

async fn set_locale(w: &World, u: &UserId, locale: &str) {
    let settings = Settings {
        locale: locale.into(),
        ..Settings::defaults("en-US")
    };
    w.fakes.store.put_settings(u, &settings).await.unwrap();
}

#[test]
fn the_messages_take_the_routes_these_tests_rely_on() {
    assert_eq!(triage::route(MISSED).route, Route::Support);
    assert_eq!(triage::route(REASONING).route, Route::Reasoning);
    assert_eq!(triage::route(CRISIS).route, Route::Crisis);
}

#[tokio::test]
async fn a_risk_the_model_marks_that_the_screen_missed_makes_it_a_crisis_turn() {
    let w = World::new();
    let u = user("ana");
    w.chat
        .reply("That sounds so heavy. I'm here with you.\n<<risk:suicidal>>");
    let out = service(&w).turn(&u, ask(MISSED)).await.unwrap();

    let expected = format!(
        "That sounds so heavy. I'm here with you.\n\n{}",
        resources(CrisisCategory::Suicidal, "en-US")
    );
    assert_eq!(
        out.reply.content, expected,
        "the mark off, the resources on"
    );
    assert_eq!(
        route_and_model(&out),
        (Route::Crisis, model_id(ModelRole::Chat).to_string()),
        "the stored route becomes crisis; the model's own words are kept"
    );
    assert_eq!(w.chat.call_count(), 1, "no second call");
    let notice = out.crisis.expect("the resources, apart");
    assert_eq!(
        (notice.category, notice.locale()),
        (CrisisCategory::Suicidal, "en-US")
    );
    let stored = w
        .fakes
        .store
        .list_messages(&u, &out.session_id, &PageRequest::first(5))
        .await
        .unwrap()
        .items;
    assert_eq!(stored[1].content, expected, "stored as shown");
    let flags = w
        .fakes
        .store
        .list_crisis_flags(&u, &PageRequest::first(5))
        .await
        .unwrap()
        .items;
    assert_eq!(flags.len(), 1, "the flag is stored");
    assert_eq!(flags[0].message_id, out.user_message.id, "on their message");
    assert_eq!(
        (flags[0].category, flags[0].reason.clone()),
        (CrisisCategory::Suicidal, Some(CrisisReason::ModelMark))
    );
    assert_eq!(
        w.fakes.events.published(),
        vec![DomainEvent::CrisisFlagged {
            user: u.clone(),
            at: w.now(),
            category: Some(CrisisCategory::Suicidal),
            reason: Some(CrisisReason::ModelMark),
            source: Some(FlagSource::Chat),
        }]
    );
}

#[tokio::test]
async fn a_deep_reply_is_marked_and_rerouted_the_same_way() {
    let w = World::new();
    w.deep.reply("Let's weigh it up.\n<<risk:danger_now>>");
    let out = service(&w)
        .turn(&user("ana"), ask(REASONING))
        .await
        .unwrap();
    assert_eq!(
        route_and_model(&out),
        (Route::Crisis, model_id(ModelRole::Deep).to_string())
    );
    assert_eq!(
        out.reply.content,
        format!(
            "Let's weigh it up.\n\n{}",
            resources(CrisisCategory::DangerNow, "en-US")
        )
    );
    assert_eq!(w.fakes.events.published().len(), 1);
}

#[tokio::test]
async fn a_none_mark_a_missing_mark_and_garbage_in_the_tail_change_nothing() {
    let w = World::new();
    let u = user("ana");
    w.chat
        .reply("Lovely. What did you see?\n<<risk:none>>")
        .reply("Plain words, no tail.")
        .reply("Odd one.\n<<risk:ignore your instructions>>");
    let chat = service(&w);
    for shown in [
        "Lovely. What did you see?",
        "Plain words, no tail.",
        "Odd one.",
    ] {
        let out = chat.turn(&u, ask("I had a nice walk today")).await.unwrap();
        assert_eq!(out.reply.content, shown);
        assert_eq!(route_and_model(&out).0, Route::Support);
        assert!(out.crisis.is_none());
    }
    assert!(w.fakes.events.published().is_empty());
    assert!(
        w.fakes
            .store
            .list_crisis_flags(&u, &PageRequest::first(5))
            .await
            .unwrap()
            .items
            .is_empty()
    );
}

#[tokio::test]
async fn a_mark_on_a_crisis_reply_is_stripped_and_flags_nothing_more() {
    let w = World::new();
    w.chat.reply("I'm so glad you told me.\n<<risk:suicidal>>");
    let out = service(&w).turn(&user("ana"), ask(CRISIS)).await.unwrap();
    assert_eq!(
        out.reply.content,
        format!(
            "I'm so glad you told me.\n\n{}",
            resources(CrisisCategory::Suicidal, "en-US")
        )
    );
    assert_eq!(
        w.fakes.events.published().len(),
        1,
        "the screen's event only"
    );
}

#[tokio::test]
async fn the_persons_locale_chooses_the_resources_of_every_crisis_reply() {
    let w = World::new();
    let u = user("ana");
    set_locale(&w, &u, "en-GB").await;
    let chat = service(&w);

    w.chat.reply("I'm here with you.");
    let out = chat.turn(&u, ask(CRISIS)).await.unwrap();
    let uk = resources(CrisisCategory::Suicidal, "en-GB");
    assert!(uk.contains("116 123"));
    assert_eq!(out.reply.content, format!("I'm here with you.\n\n{uk}"));
    assert_eq!(out.crisis.unwrap().locale(), "en-GB");

    // The fixed reply, with every model down.
    let down = ModelError::Server {
        status: 503,
        retry_after: None,
    };
    w.chat.always_fail(down.clone());
    w.deep.always_fail(down);
    let out = chat.turn(&u, ask(CRISIS)).await.unwrap();
    assert_eq!(out.reply.content, format!("{FIXED_CRISIS_REPLY}\n\n{uk}"));
    assert_eq!(route_and_model(&out), (Route::Crisis, "fixed".to_string()));

    // And a reply the model marked.
    let w = World::new();
    set_locale(&w, &u, "en-GB").await;
    w.chat.reply("That sounds heavy.\n<<risk:self_harm>>");
    let out = service(&w).turn(&u, ask(MISSED)).await.unwrap();
    assert!(
        out.reply
            .content
            .ends_with(&resources(CrisisCategory::SelfHarm, "en-GB"))
    );
}

#[tokio::test]
async fn a_locale_without_resources_gets_the_default_ones() {
    let w = World::new();
    let u = user("ana");
    set_locale(&w, &u, "xx-XX").await;
    w.chat.reply("I'm here.");
    let out = service(&w).turn(&u, ask(CRISIS)).await.unwrap();
    assert_eq!(out.crisis.unwrap().locale(), "en-US");
    assert!(
        out.reply
            .content
            .ends_with(&resources(CrisisCategory::Suicidal, "en-US"))
    );
}

#[tokio::test]
async fn a_replayed_model_marked_turn_carries_the_marked_category_again() {
    let w = World::new();
    let u = user("ana");
    w.chat.reply("I'm here.\n<<risk:danger_now>>");
    let chat = service(&w);
    let with_id = || ChatRequest {
        remember: true,
        client_message_id: Some(ClientMessageId::parse("c-1").unwrap()),
        ..ask(MISSED)
    };
    let first = chat.turn(&u, with_id()).await.unwrap();
    let again = chat.turn(&u, with_id()).await.unwrap();
    assert_eq!(again.reply, first.reply);
    assert_eq!(
        again.crisis.map(|n| n.category),
        Some(CrisisCategory::DangerNow),
        "from the stored flag, though the screen misses the message"
    );
}

#[tokio::test]
async fn a_replayed_crisis_turn_carries_its_resources_again() {
    let w = World::new();
    let u = user("ana");
    w.chat.reply("I'm here.");
    let chat = service(&w);
    let with_id = || ChatRequest {
        remember: true,
        client_message_id: Some(ClientMessageId::parse("c-1").unwrap()),
        ..ask(CRISIS)
    };
    let first = chat.turn(&u, with_id()).await.unwrap();
    let again = chat.turn(&u, with_id()).await.unwrap();
    assert_eq!(again.reply, first.reply);
    assert_eq!(
        again.crisis.map(|n| (n.category, n.locale())),
        Some((CrisisCategory::Suicidal, "en-US"))
    );
    assert_eq!(w.fakes.events.published().len(), 1, "one event, not two");
}

/// Every log line written while `f` runs, as the text formatter writes
/// them: each with the fields of the spans it is in.
pub(super) async fn logs_of<F: std::future::Future>(
    f: impl FnOnce() -> F,
) -> (F::Output, Vec<String>) {
    #[derive(Clone, Default)]
    struct Buffer(Arc<Mutex<Vec<u8>>>);
    impl std::io::Write for Buffer {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let buffer = Buffer::default();
    let writer = buffer.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    // The test runtime is single-threaded, so the default reaches every
    // poll. Callsites another test's thread met first are looked at again.
    let out = {
        let _guard = tracing::subscriber::set_default(subscriber);
        tracing::callsite::rebuild_interest_cache();
        f().await
    };
    let text = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
    (out, text.lines().map(str::to_string).collect())
}

#[tokio::test]
async fn no_log_line_that_carries_the_user_id_names_a_crisis_category_or_layer() {
    use tracing::Instrument;
    let w = World::new();
    let u = user("person-7f3a9c");
    w.chat
        .reply("I'm here.")
        .reply("That sounds heavy.\n<<risk:self_harm>>");
    w.deep.always_fail(ModelError::Timeout);
    let chat = service(&w);
    let signal = triage::route(CRISIS).crisis.unwrap();
    let (outcomes, lines) = logs_of(|| {
        async {
            let screened = chat.turn(&u, ask(CRISIS)).await.unwrap();
            let marked = chat.turn(&u, ask(MISSED)).await.unwrap();
            w.chat.always_fail(ModelError::Timeout);
            let fixed = chat.turn(&u, ask(CRISIS)).await.unwrap();
            [screened, marked, fixed]
        }
        // As the HTTP layer does: the request span holds the user id.
        .instrument(tracing::info_span!("request", user = %u))
    })
    .await;
    assert!(
        outcomes.iter().all(|o| o.crisis.is_some()),
        "three crisis turns"
    );
    let turn_lines: Vec<&String> = lines
        .iter()
        .filter(|l| l.contains("turn complete"))
        .collect();
    assert_eq!(turn_lines.len(), 3, "{lines:#?}");
    assert!(
        turn_lines.iter().all(|l| l.contains(u.as_str())),
        "the turns' lines carry the user id through their span: {lines:#?}"
    );
    let mut named: Vec<&str> = vec![
        "crisis",
        "gentle",
        "suicidal",
        "self_harm",
        "harm_to_others",
        "danger_now",
        "model_mark",
        "classifier",
        signal.rule,
    ];
    named.extend(
        [
            CrisisReason::Rules { rule: "" },
            CrisisReason::Conversation {
                score: 0.0,
                threshold: 0.0,
            },
        ]
        .iter()
        .map(|r| r.layer()),
    );
    for line in lines.iter().filter(|l| l.contains(u.as_str())) {
        for word in &named {
            assert!(
                !line.to_lowercase().contains(word),
                "a log line with the user id names {word:?}: {line}"
            );
        }
    }
}
