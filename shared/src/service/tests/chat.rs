//! The chat turn (`ChatService::turn`) on fakes: ordering, failure,
//! fallback, the crisis route, idempotent retries, boundaries and the
//! extraction trigger.

use super::{NOT_CONFIGURED, World, model_id, user};
use crate::domain::crisis_resources;
use crate::domain::events::DomainEvent;
use crate::domain::ids::{ClientMessageId, SessionId};
use crate::domain::jobs::Job;
use crate::domain::memory::Category;
use crate::domain::message::{Message, Role};
use crate::domain::page::PageRequest;
use crate::domain::prompts::chat::FIXED_CRISIS_REPLY;
use crate::domain::route::{ModelRole, Route};
use crate::domain::safety::CrisisCategory;
use crate::domain::safety::flag::{CrisisReason, FlagSource};
use crate::domain::triage;
use crate::ports::{ConversationStore, MemoryStore, ModelError};
use crate::service::chat::{ChatError, ChatOutcome, ChatRequest, ChatService};
use crate::service::models::ModelRoles;
use std::time::Duration;

const SUPPORT: &str = "I had a nice walk today";
const REASONING: &str = "Should I take the job in Berlin or stay? Help me decide.";
const CRISIS: &str = "I want to kill myself";

fn service(w: &World, models: ModelRoles) -> ChatService {
    ChatService::new(
        w.fakes.ports(),
        models,
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

fn down() -> ModelError {
    ModelError::Server {
        status: 503,
        retry_after: None,
    }
}

async fn stored(w: &World, session: &SessionId) -> Vec<Message> {
    w.fakes
        .store
        .list_messages(&user("ana"), session, &PageRequest::first(50))
        .await
        .unwrap()
        .items
}

fn model_of(out: &ChatOutcome) -> (Route, String) {
    let meta = out.reply.reply.as_ref().expect("a reply carries its meta");
    (meta.route, meta.model.clone())
}

#[test]
fn the_messages_take_the_routes_these_tests_rely_on() {
    assert_eq!(triage::route(SUPPORT).route, Route::Support);
    assert_eq!(triage::route(REASONING).route, Route::Reasoning);
    assert_eq!(triage::route(CRISIS).route, Route::Crisis);
}

#[tokio::test]
async fn the_message_is_stored_before_the_model_is_called() {
    let w = World::new();
    w.chat.reply("Glad you got outside.");
    let out = service(&w, w.roles())
        .turn(&user("ana"), ask(SUPPORT, None))
        .await
        .unwrap();

    let log = &w.fakes.log;
    let stored_at = log.first("store: record_user_message");
    let asked_at = log.first(&w.chat.log_line());
    let replied_at = log.first("store: record_reply");
    assert!(
        stored_at < asked_at && asked_at < replied_at,
        "store, then model, then reply: {:#?}",
        log.entries()
    );
    // The model's conversation was read back from the store, message included.
    let sent = &w.chat.calls()[0].request;
    assert_eq!(sent.turns.last().unwrap().content, SUPPORT);
    assert_eq!(out.reply.content, "Glad you got outside.");
    assert_eq!(out.reply.role, Role::Assistant);
}

#[tokio::test]
async fn a_model_failure_keeps_the_message_and_is_model_unavailable() {
    let w = World::new();
    w.chat.always_fail(down());
    w.deep.always_fail(ModelError::Timeout);
    let err = service(&w, w.roles())
        .turn(&user("ana"), ask(SUPPORT, None))
        .await
        .unwrap_err();
    let ChatError::ModelUnavailable { why, .. } = err else {
        panic!("expected model_unavailable, got {err:?}");
    };
    assert!(why.contains("your message is saved"), "{why}");
    assert_eq!(
        (w.chat.call_count(), w.deep.call_count()),
        (1, 1),
        "both roles were tried"
    );
    let sessions = w
        .fakes
        .store
        .list_sessions(&user("ana"), &PageRequest::first(5))
        .await
        .unwrap();
    let messages = stored(&w, &sessions.items[0].id).await;
    assert_eq!(messages.len(), 1, "the message, and no reply");
    assert_eq!(
        (messages[0].role, messages[0].content.as_str()),
        (Role::User, SUPPORT)
    );
}

#[tokio::test]
async fn with_no_model_configured_the_turn_says_what_to_set_and_keeps_the_message() {
    let w = World::new();
    let err = service(&w, w.roles_of(&[]))
        .turn(&user("ana"), ask(SUPPORT, None))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, ChatError::ModelUnavailable { why: hint, .. } if hint == NOT_CONFIGURED),
        "{err:?}"
    );
    let sessions = w
        .fakes
        .store
        .list_sessions(&user("ana"), &PageRequest::first(5))
        .await
        .unwrap();
    assert_eq!(sessions.items[0].message_count, 1);
}

#[tokio::test]
async fn a_deep_route_falls_back_to_the_chat_role_with_the_same_context() {
    let w = World::new();
    w.deep.fail(down());
    w.chat.reply("Let's weigh up Berlin together.");
    let out = service(&w, w.roles())
        .turn(&user("ana"), ask(REASONING, None))
        .await
        .unwrap();
    assert_eq!(
        model_of(&out),
        (Route::Reasoning, model_id(ModelRole::Chat).to_string())
    );
    assert_eq!(out.reply.content, "Let's weigh up Berlin together.");
    let (deep, chat) = (w.deep.calls(), w.chat.calls());
    assert_eq!((deep.len(), chat.len()), (1, 1));
    assert!(deep[0].log_position < chat[0].log_position, "deep first");
    assert_eq!(
        deep[0].request, chat[0].request,
        "the fallback gets the same context"
    );
}

#[tokio::test]
async fn the_chat_role_falls_back_to_the_deep_role() {
    let w = World::new();
    w.chat.fail(down());
    w.deep.reply("That sounds restful.");
    let out = service(&w, w.roles())
        .turn(&user("ana"), ask(SUPPORT, None))
        .await
        .unwrap();
    assert_eq!(
        model_of(&out),
        (Route::Support, model_id(ModelRole::Deep).to_string())
    );
    assert_eq!(out.reply.content, "That sounds restful.");
    assert!(w.chat.calls()[0].log_position < w.deep.calls()[0].log_position);
}

fn resources() -> String {
    let category = triage::route(CRISIS).crisis.unwrap().category;
    crisis_resources::render(
        crisis_resources::for_locale("en-US", "en-US"),
        Some(category),
    )
}

#[tokio::test]
async fn a_crisis_never_reaches_the_deep_role_and_a_failed_chat_role_gives_the_fixed_reply() {
    let w = World::new();
    w.chat.always_fail(down());
    w.deep
        .always_reply("Words the deep model must never send here.");
    let u = user("ana");
    let out = service(&w, w.roles())
        .turn(&u, ask(CRISIS, None))
        .await
        .expect("a crisis turn is answered even with the chat role down");
    assert_eq!(w.deep.call_count(), 0, "crisis never goes to the deep role");
    assert_eq!(w.chat.call_count(), 1);
    assert_eq!(
        out.reply.content,
        format!("{FIXED_CRISIS_REPLY}\n\n{}", resources())
    );
    assert_eq!(model_of(&out), (Route::Crisis, "fixed".to_string()));

    // The flag is stored with the message, and the event carries no text.
    let flags = w
        .fakes
        .store
        .list_crisis_flags(&u, &PageRequest::first(5))
        .await
        .unwrap();
    assert_eq!(flags.items.len(), 1);
    assert_eq!(flags.items[0].message_id, out.user_message.id);
    let rule = triage::route(CRISIS).crisis.unwrap().rule;
    assert_eq!(
        flags.items[0].reason,
        Some(CrisisReason::Rules { rule: rule.into() }),
        "the flag keeps which layer fired and why"
    );
    assert_eq!(
        w.fakes.events.published(),
        vec![DomainEvent::CrisisFlagged {
            user: u,
            at: w.now(),
            category: Some(CrisisCategory::Suicidal),
            reason: Some(CrisisReason::Rules { rule: rule.into() }),
            source: Some(FlagSource::Chat),
        }]
    );
    let notice = out.crisis.expect("the outcome carries the resources apart");
    assert_eq!(
        (notice.category, notice.locale()),
        (CrisisCategory::Suicidal, "en-US")
    );
}

#[tokio::test]
async fn a_crisis_reply_from_the_model_ends_with_the_resources_added_by_code() {
    let w = World::new();
    w.chat
        .reply("I'm so sorry you're hurting. I'm here with you.");
    let out = service(&w, w.roles())
        .turn(&user("ana"), ask(CRISIS, None))
        .await
        .unwrap();
    assert_eq!(
        out.reply.content,
        format!(
            "I'm so sorry you're hurting. I'm here with you.\n\n{}",
            resources()
        )
    );
    assert_eq!(
        model_of(&out),
        (Route::Crisis, model_id(ModelRole::Chat).to_string())
    );
}

fn with_id(text: &str, id: &str) -> ChatRequest {
    ChatRequest {
        remember: true,
        client_message_id: Some(ClientMessageId::parse(id).unwrap()),
        ..ask(text, None)
    }
}

#[tokio::test]
async fn a_retry_with_the_same_client_message_id_is_stored_once_and_gets_the_stored_reply() {
    let w = World::new();
    w.chat.reply("First answer.").reply("Second answer.");
    let chat = service(&w, w.roles());
    let first = chat
        .turn(&user("ana"), with_id(SUPPORT, "c-1"))
        .await
        .unwrap();
    let again = chat
        .turn(&user("ana"), with_id(SUPPORT, "c-1"))
        .await
        .unwrap();
    assert_eq!(again.session_id, first.session_id);
    assert_eq!(again.user_message.id, first.user_message.id);
    assert_eq!(again.reply, first.reply, "the stored reply");
    assert_eq!(w.chat.call_count(), 1, "the model is not asked again");
    assert_eq!(stored(&w, &first.session_id).await.len(), 2);
}

#[tokio::test]
async fn a_retry_after_a_failed_reply_asks_the_model_again_and_stores_the_message_once() {
    let w = World::new();
    w.chat.fail(down()).reply("Here now.");
    w.deep.fail(ModelError::Timeout);
    let chat = service(&w, w.roles());
    assert!(matches!(
        chat.turn(&user("ana"), with_id(SUPPORT, "c-1")).await,
        Err(ChatError::ModelUnavailable { .. })
    ));
    let again = chat
        .turn(&user("ana"), with_id(SUPPORT, "c-1"))
        .await
        .unwrap();
    assert_eq!(again.reply.content, "Here now.");
    let messages = stored(&w, &again.session_id).await;
    assert_eq!(
        messages
            .iter()
            .map(|m| (m.role, m.content.as_str()))
            .collect::<Vec<_>>(),
        vec![(Role::User, SUPPORT), (Role::Assistant, "Here now.")]
    );
    assert_eq!(messages[0].id, again.user_message.id);
}

#[tokio::test]
async fn a_topic_the_person_asked_not_to_raise_stays_out_of_the_context_until_they_raise_it() {
    let w = World::new();
    let u = user("ana");
    let (earlier, messages) = w
        .conversation(
            &u,
            &[
                "My divorce was finalised in March. I don't want to talk about it.",
                "I like cooking.",
            ],
        )
        .await;
    let facts = w
        .remember(
            &u,
            &earlier,
            &messages,
            &[
                (
                    Category::TriggersAndBoundaries,
                    "Does not want to talk about her divorce.",
                ),
                (
                    Category::Relationships,
                    "Her divorce was finalised in March.",
                ),
                (
                    Category::ValuesAndCoping,
                    "Cooking in March helps her unwind.",
                ),
            ],
            "She mentioned her divorce and asked not to discuss it.",
        )
        .await;
    let (boundary, divorce, cooking) = (&facts[0], &facts[1], &facts[2]);
    w.chat.always_reply("Mm.");
    let chat = service(&w, w.roles());

    // A message that shares a word ("March") with the divorce memory.
    let out = chat
        .turn(&u, ask("Any ideas for cooking in March?", None))
        .await
        .unwrap();
    let system = w.chat.calls()[0].request.system.clone();
    assert!(
        system.contains("Cooking in March helps her unwind."),
        "{system}"
    );
    assert!(
        !system.contains("finalised"),
        "the divorce is kept out: {system}"
    );
    assert!(
        !system.contains("asked not to discuss it"),
        "and the summary that mentions it: {system}"
    );
    let used = &out.reply.reply.as_ref().unwrap().memories_used;
    assert!(used.contains(&cooking.id.to_string()), "{used:?}");
    assert!(
        used.contains(&boundary.id.to_string()),
        "the boundary itself: {used:?}"
    );
    assert!(!used.contains(&divorce.id.to_string()), "{used:?}");

    // When she raises it herself, Hearth may use what it knows.
    chat.turn(
        &u,
        ask(
            "The divorce papers from March arrived.",
            Some(&out.session_id),
        ),
    )
    .await
    .unwrap();
    let system = &w.chat.calls()[1].request.system;
    assert!(
        system.contains("Her divorce was finalised in March."),
        "{system}"
    );
}

#[tokio::test]
async fn an_extraction_job_is_enqueued_once_six_messages_are_waiting() {
    let w = World::new();
    let u = user("ana");
    w.chat.always_reply("Mm.");
    let chat = service(&w, w.roles());
    let first = chat.turn(&u, ask(SUPPORT, None)).await.unwrap();
    let session = first.session_id;
    chat.turn(&u, ask("And a good lunch.", Some(&session)))
        .await
        .unwrap();
    assert!(
        w.fakes.queue.enqueued().is_empty(),
        "four messages: not yet"
    );

    chat.turn(&u, ask("Then a nap.", Some(&session)))
        .await
        .unwrap();
    let job = Job::ExtractSession {
        user: u.clone(),
        session_id: session.clone(),
        from_seq: 1,
        to_seq: 6,
    };
    assert_eq!(w.fakes.queue.enqueued(), vec![job.clone()]);
    // (Indexing the stored reply, and keeping the notices shown, may come
    // after: neither holds the job up.)
    let log: Vec<String> = w
        .fakes
        .log
        .entries()
        .into_iter()
        .filter(|e| e != "store: append_index" && e != "store: record_notices")
        .collect();
    assert_eq!(
        log[log.len() - 3..],
        [
            "store: record_reply",
            "store: claim_extraction",
            "queue: enqueue extract_session"
        ],
        "the job is enqueued once the reply is stored"
    );

    chat.turn(&u, ask("Now the evening.", Some(&session)))
        .await
        .unwrap();
    assert_eq!(
        w.fakes.queue.enqueued(),
        vec![job],
        "eight messages: still one job"
    );
}

#[tokio::test]
async fn a_failed_enqueue_gives_the_claim_back_so_a_later_turn_enqueues_it() {
    let w = World::new();
    let u = user("ana");
    w.chat.always_reply("Mm.");
    let chat = service(&w, w.roles());
    let session = chat.turn(&u, ask(SUPPORT, None)).await.unwrap().session_id;
    chat.turn(&u, ask("And a good lunch.", Some(&session)))
        .await
        .unwrap();
    w.fakes.queue.fail_next_enqueue(1);
    chat.turn(&u, ask("Then a nap.", Some(&session)))
        .await
        .expect("a failed enqueue does not fail the person's turn");
    assert!(w.fakes.queue.enqueued().is_empty());
    let state = w.fakes.store.extraction_state(&u, &session).await.unwrap();
    assert_eq!(state.enqueued_through, 0, "the claim was given back");

    chat.turn(&u, ask("Now the evening.", Some(&session)))
        .await
        .unwrap();
    assert_eq!(
        w.fakes.queue.enqueued(),
        vec![Job::ExtractSession {
            user: u,
            session_id: session,
            from_seq: 1,
            to_seq: 8
        }]
    );
}
