//! The crisis screen's learned layers on fakes (`FakeRiskModel`): the
//! classifier on a chat turn, a journal entry and imported lines, the
//! conversation layer over a session's turns, a failing risk model leaving
//! every input to the explicit cues, each turn's assessment kept with its
//! message (read once, never again), and what the logs may say.

use super::crisis::logs_of;
use super::{World, user};
use crate::domain::assessment::StoredAssessment;
use crate::domain::events::DomainEvent;
use crate::domain::ids::{SessionId, UserId};
use crate::domain::message::{CrisisFlag, Message};
use crate::domain::page::PageRequest;
use crate::domain::personal_data::{ImportLine, parse_line};
use crate::domain::route::Route;
use crate::domain::safety::flag::{CrisisReason, FlagSource};
use crate::domain::safety::{self, CrisisCategory};
use crate::domain::triage;
use crate::ports::{ConversationStore, EncodeError, JournalStore};
use crate::service::chat::{ChatOutcome, ChatRequest, ChatService};
use crate::service::crisis::CrisisCare;
use crate::service::journal::JournalService;
use crate::service::personal_data::import;
use crate::testing::{FAKE_RISK_MODEL, FAKE_THRESHOLDS, FakeRiskModel, scores};
use std::sync::Arc;
use std::time::Duration;

/// No explicit cue fires on it; the fake classifier is told it is a crisis.
const MISSED: &str = "I have been giving my things away and writing letters to everyone";
/// The guitar turns: none a crisis alone, together one.
const GUITAR: [&str; 3] = [
    "I gave my guitar away to my cousin today",
    "Told my sister she can have my records too",
    "I won't need any of it where I'm going",
];
const SAD: [&str; 3] = [
    "Work was awful and I cried in the car",
    "I miss how things were before the move",
    "I just feel really low tonight",
];
const CUED: &str = "I want to kill myself";

fn chat(w: &World, risk: &Arc<FakeRiskModel>) -> ChatService {
    ChatService::new(
        w.fakes.ports_with(risk),
        w.roles(),
        w.fakes.clock.clone(),
        Duration::from_secs(25),
        "en-US".into(),
        w.retriever.clone(),
    )
}

fn ask(text: &str, session: Option<&SessionId>) -> ChatRequest {
    ChatRequest {
        remember: true,
        message: text.into(),
        session_id: session.cloned(),
        client_message_id: None,
    }
}

fn route(out: &ChatOutcome) -> Route {
    out.reply.reply.as_ref().expect("a reply's meta").route
}

async fn flags(w: &World, u: &UserId) -> Vec<CrisisFlag> {
    w.fakes
        .store
        .list_crisis_flags(u, &PageRequest::first(20))
        .await
        .unwrap()
        .items
}

async fn messages(w: &World, u: &UserId, s: &SessionId) -> Vec<Message> {
    w.fakes
        .store
        .list_messages(u, s, &PageRequest::first(50))
        .await
        .unwrap()
        .items
}

/// A risk model that scores the guitar turns 0.4, 0.45 and 0.45 (suicidal),
/// the sad ones 0.12 to 0.2, and `MISSED` 0.9.
fn scripted(w: &World) -> Arc<FakeRiskModel> {
    let risk = w.fakes.risk();
    risk.score("guitar", scores(CrisisCategory::Suicidal, 0.4))
        .score("records", scores(CrisisCategory::Suicidal, 0.45))
        .score("where i'm going", scores(CrisisCategory::Suicidal, 0.45))
        .score("cried", scores(CrisisCategory::Suicidal, 0.12))
        .score("miss how", scores(CrisisCategory::Suicidal, 0.15))
        .score("low tonight", scores(CrisisCategory::Suicidal, 0.2))
        .score("letters to everyone", scores(CrisisCategory::Suicidal, 0.9));
    risk
}

#[test]
fn the_messages_are_what_these_tests_rely_on() {
    for text in [MISSED].iter().chain(&GUITAR).chain(&SAD) {
        assert_eq!(safety::screen(text), None, "{text:?} is no explicit cue");
        assert_ne!(triage::route(text).route, Route::Crisis, "{text:?}");
    }
    assert!(safety::screen(CUED).is_some());
}

#[tokio::test]
async fn a_turn_the_classifier_flags_is_a_crisis_turn_with_its_flag_and_event() {
    let w = World::new();
    let u = user("ana");
    let risk = scripted(&w);
    w.chat.reply("I'm really glad you told me.");
    let out = chat(&w, &risk).turn(&u, ask(MISSED, None)).await.unwrap();

    assert_eq!(route(&out), Route::Crisis, "the stored route is crisis");
    let notice = out.crisis.expect("the resources, apart");
    assert_eq!(notice.category, CrisisCategory::Suicidal);
    assert_eq!(
        out.reply.content,
        notice.append_to("I'm really glad you told me."),
        "the resources end the reply"
    );
    let reason = CrisisReason::Classifier {
        score: 0.9,
        threshold: FAKE_THRESHOLDS.turn,
    };
    let flags = flags(&w, &u).await;
    assert_eq!(flags.len(), 1);
    assert_eq!(flags[0].message_id, out.user_message.id);
    assert_eq!(
        (flags[0].category, flags[0].reason.clone()),
        (CrisisCategory::Suicidal, Some(reason.clone()))
    );
    assert_eq!(
        w.fakes.events.published(),
        vec![DomainEvent::CrisisFlagged {
            user: u.clone(),
            at: out.user_message.created_at,
            category: Some(CrisisCategory::Suicidal),
            reason: Some(reason),
            source: Some(FlagSource::Chat),
        }]
    );
    // The crisis prompt was the one asked, once.
    assert_eq!(w.chat.call_count(), 1);
    // The message was stored before the model was asked, and its
    // assessment is kept with it: one read of the text, the turn's only.
    let log = &w.fakes.log;
    assert!(log.first("store: record_user_message") < log.first("model chat: complete"));
    assert_eq!(risk.calls(), vec![vec![MISSED.to_string()]]);
    let stored = messages(&w, &u, &out.session_id).await;
    assert_eq!(
        stored[0].assessment,
        Some(StoredAssessment {
            model: FAKE_RISK_MODEL.into(),
            risk: scores(CrisisCategory::Suicidal, 0.9),
            vector: risk.vector(MISSED),
        })
    );
}

#[tokio::test]
async fn a_failing_risk_model_leaves_the_turn_to_the_explicit_cues() {
    let w = World::new();
    let u = user("ana");
    let risk = scripted(&w);
    risk.always_fail(EncodeError::Inference("out of memory".into()));
    let service = chat(&w, &risk);

    w.chat.reply("That sounds like a lot.").reply("I'm here.");
    let missed = service.turn(&u, ask(MISSED, None)).await.unwrap();
    assert_eq!(
        route(&missed),
        Route::Support,
        "answered, on the cues alone"
    );
    assert_eq!(missed.reply.content, "That sounds like a lot.");
    assert!(missed.crisis.is_none());

    let cued = service
        .turn(&u, ask(CUED, Some(&missed.session_id)))
        .await
        .unwrap();
    assert_eq!(route(&cued), Route::Crisis, "the cues still flag");
    assert!(cued.crisis.is_some());
    assert_eq!(flags(&w, &u).await.len(), 1);
    assert_eq!(w.fakes.events.published().len(), 1);
    let stored = messages(&w, &u, &missed.session_id).await;
    assert!(
        stored.iter().all(|m| m.assessment.is_none()),
        "nothing to keep"
    );
}

#[tokio::test]
async fn risk_that_builds_over_a_sessions_turns_flags_the_turn_it_passes_on() {
    let w = World::new();
    let u = user("ana");
    let risk = scripted(&w);
    let service = chat(&w, &risk);
    w.chat
        .reply("That's generous of you.")
        .reply("It sounds like you're letting go of a lot.")
        .reply("I'm here with you.");
    let first = service.turn(&u, ask(GUITAR[0], None)).await.unwrap();
    let session = first.session_id.clone();
    w.fakes.clock.advance(chrono::Duration::minutes(3));
    let second = service
        .turn(&u, ask(GUITAR[1], Some(&session)))
        .await
        .unwrap();
    w.fakes.clock.advance(chrono::Duration::minutes(3));
    let third = service
        .turn(&u, ask(GUITAR[2], Some(&session)))
        .await
        .unwrap();

    // The fake's vectors are not MiniLM's, so the router may read them as
    // any route; what matters here is that it is not crisis.
    assert_ne!(route(&first), Route::Crisis);
    assert_ne!(route(&second), Route::Crisis, "two turns do not pass yet");
    assert_eq!(route(&third), Route::Crisis, "three do");
    assert_eq!(
        third.crisis.map(|n| n.category),
        Some(CrisisCategory::Suicidal)
    );
    let flags = flags(&w, &u).await;
    assert_eq!(flags.len(), 1);
    assert_eq!(flags[0].message_id, third.user_message.id);
    let Some(CrisisReason::Conversation { score, threshold }) = flags[0].reason else {
        panic!("the conversation layer's flag: {:?}", flags[0].reason);
    };
    assert!((score - (1.0 - 0.6 * 0.55 * 0.55)).abs() < 1e-5, "{score}");
    assert_eq!(threshold, FAKE_THRESHOLDS.conversation);
    assert_eq!(w.fakes.events.published().len(), 1);
    // Each turn was read once: the earlier ones from their stored scores.
    let read: Vec<Vec<String>> = GUITAR.iter().map(|t| vec![t.to_string()]).collect();
    assert_eq!(risk.calls(), read);
}

#[tokio::test]
async fn sad_but_safe_turns_stay_sad_but_safe() {
    let w = World::new();
    let u = user("ana");
    let risk = scripted(&w);
    let service = chat(&w, &risk);
    w.chat.always_reply("I hear you.");
    let mut session: Option<SessionId> = None;
    for text in SAD {
        let out = service.turn(&u, ask(text, session.as_ref())).await.unwrap();
        assert_ne!(route(&out), Route::Crisis, "{text:?}");
        assert!(out.crisis.is_none());
        session = Some(out.session_id);
    }
    assert!(flags(&w, &u).await.is_empty());
    assert!(w.fakes.events.published().is_empty());
}

fn journal(w: &World, risk: &Arc<FakeRiskModel>) -> JournalService {
    JournalService {
        conversations: w.fakes.store.clone(),
        journal: w.fakes.store.clone(),
        queue: w.fakes.queue.clone(),
        models: w.roles(),
        retriever: w.retriever.clone(),
        clock: w.fakes.clock.clone(),
        care: CrisisCare {
            settings: w.fakes.store.clone(),
            events: w.fakes.events.clone(),
            reports: w.fakes.store.clone(),
            default_locale: "en-US".into(),
        },
        risk: Some(risk.clone()),
    }
}

#[tokio::test]
async fn a_journal_entry_the_classifier_flags_is_stored_with_its_flag() {
    let w = World::new();
    let u = user("ana");
    let risk = scripted(&w);
    let written = journal(&w, &risk).add_entry(&u, MISSED).await.unwrap();

    let reason = CrisisReason::Classifier {
        score: 0.9,
        threshold: FAKE_THRESHOLDS.turn,
    };
    let stored = w
        .fakes
        .store
        .get_journal(&u, &written.item.id)
        .await
        .unwrap()
        .expect("stored");
    let flag = stored.flag.expect("stored with its flag");
    assert_eq!(
        (flag.category, flag.reason),
        (CrisisCategory::Suicidal, reason.clone())
    );
    assert!(written.crisis.is_some(), "the 201 carries the resources");
    let listed = flags(&w, &u).await;
    assert_eq!(listed.len(), 1, "the flag list has it too");
    assert_eq!(
        w.fakes.events.published(),
        vec![DomainEvent::CrisisFlagged {
            user: u.clone(),
            at: written.item.created_at,
            category: Some(CrisisCategory::Suicidal),
            reason: Some(reason),
            source: Some(FlagSource::Journal),
        }]
    );
    assert_eq!(risk.calls(), vec![vec![MISSED.to_string()]], "one read");

    // A failing model leaves an entry to the cues: stored, unflagged.
    risk.fail(EncodeError::Tokenize("bad input".into()));
    let plain = journal(&w, &risk).add_entry(&u, MISSED).await.unwrap();
    assert!(plain.item.flag.is_none() && plain.crisis.is_none());
}

fn line(role: &str, content: &str, minute: u32) -> ImportLine {
    parse_line(&format!(
        r#"{{"session_id":"legacy-1","role":"{role}","content":"{content}","created_at":"2025-01-01T10:{minute:02}:00Z","external_id":"x-{minute}"}}"#
    ))
    .unwrap()
}

#[tokio::test]
async fn imported_lines_are_read_in_one_batch_and_kept_with_their_scores() {
    let w = World::new();
    let u = user("ana");
    let risk = scripted(&w);
    let lines = vec![
        line("user", "Work was long today.", 0),
        line("user", MISSED, 1),
        line("assistant", "That sounds like letters to everyone.", 2),
        line("user", CUED, 3),
    ];
    let report = import(&w.fakes.ports_with(&risk), &w.retriever, &u, &lines, |_| {})
        .await
        .unwrap();
    assert_eq!(report.imported, 4);
    assert_eq!(
        risk.calls(),
        vec![vec![
            "Work was long today.".to_string(),
            MISSED.to_string(),
            CUED.to_string()
        ]],
        "the person's lines, once, in one batch; not the replies"
    );
    let mut flags = flags(&w, &u).await;
    flags.sort_by_key(|f| f.at);
    let reasons: Vec<&str> = flags
        .iter()
        .map(|f| f.reason.as_ref().unwrap().layer())
        .collect();
    assert_eq!(reasons, vec!["classifier", "rules"]);
    let events = w.fakes.events.published();
    assert_eq!(events.len(), 1, "one event per import");
    let session = SessionId::parse("legacy-1").unwrap();
    let stored = messages(&w, &u, &session).await;
    let kept: Vec<bool> = stored.iter().map(|m| m.assessment.is_some()).collect();
    assert_eq!(
        kept,
        vec![true, true, false, true],
        "the person's lines only"
    );

    // A failing model: the cues alone, and nothing kept.
    let w = World::new();
    let risk = scripted(&w);
    risk.fail(EncodeError::Inference("down".into()));
    import(&w.fakes.ports_with(&risk), &w.retriever, &u, &lines, |_| {})
        .await
        .unwrap();
    let flags = self::flags(&w, &u).await;
    assert_eq!(flags.len(), 1);
    assert_eq!(flags[0].reason.as_ref().unwrap().layer(), "rules");
}

#[tokio::test]
async fn no_log_line_with_the_user_id_names_a_category_or_layer_on_the_learned_path() {
    use tracing::Instrument;
    let w = World::new();
    let u = user("person-4d2e81");
    let risk = scripted(&w);
    let service = chat(&w, &risk);
    w.chat.always_reply("I'm here.");
    let (outcomes, lines) = logs_of(|| {
        async {
            let classified = service.turn(&u, ask(MISSED, None)).await.unwrap();
            let mut session: Option<SessionId> = None;
            let mut last = None;
            for text in GUITAR {
                let out = service.turn(&u, ask(text, session.as_ref())).await.unwrap();
                session = Some(out.session_id.clone());
                last = Some(out);
            }
            risk.fail(EncodeError::Inference("out of memory".into()));
            let failed = service.turn(&u, ask(MISSED, None)).await.unwrap();
            [classified, last.unwrap(), failed]
        }
        .instrument(tracing::info_span!("request", user = %u))
    })
    .await;
    let [classified, conversed, failed] = outcomes;
    assert!(classified.crisis.is_some() && conversed.crisis.is_some());
    assert!(failed.crisis.is_none(), "the cues alone");
    let with_user: Vec<&String> = lines.iter().filter(|l| l.contains(u.as_str())).collect();
    assert!(
        with_user
            .iter()
            .any(|l| l.contains("could not read the message")),
        "the failure is logged: {lines:#?}"
    );
    let named = [
        "suicidal",
        "self_harm",
        "harm_to_others",
        "danger_now",
        "crisis",
        "rules",
        "model_mark",
        "conversation",
    ];
    for line in with_user {
        let line = line.to_lowercase();
        for word in named.iter().chain(&["classifier"]) {
            assert!(
                !line.contains(word),
                "a log line with the user id names {word:?}: {line}"
            );
        }
    }
}
