//! The `extract_session` job (`Extractor`) on fakes: one write of memories,
//! summary and watermark; redelivery is a no-op; a failed model call is a
//! job error worth retrying; nothing is written back for a person who
//! erased their data meanwhile.

use super::{World, user};
use crate::domain::events::DomainEvent;
use crate::domain::ids::{SessionId, UserId};
use crate::domain::jobs::Job;
use crate::domain::memory::{Category, MemoryFilter};
use crate::domain::message::Message;
use crate::domain::page::PageRequest;
use crate::domain::retrieval::{DocKind, doc_key};
use crate::ports::{MemoryStore, ModelError, PersonalData};
use crate::service::extraction::Extractor;
use crate::service::jobs::JobHandler;
use crate::service::models::ModelRoles;
use futures::FutureExt;
use serde_json::json;

fn extractor(w: &World, models: ModelRoles) -> Extractor {
    Extractor {
        conversations: w.fakes.store.clone(),
        memories: w.fakes.store.clone(),
        events: w.fakes.events.clone(),
        queue: w.fakes.queue.clone(),
        models,
        clock: w.fakes.clock.clone(),
        retriever: w.retriever.clone(),
        journal: w.fakes.store.clone(),
    }
}

/// The deep model's answer: one new fact from the first message.
fn answer() -> String {
    json!({
        "memories": [{
            "op": "add",
            "category": "relationships",
            "content": "Has a sister named Maya.",
            "importance": 6,
            "sources": ["m1"],
            "target": ""
        }],
        "summary": "Maya visited; they went to the sea."
    })
    .to_string()
}

/// Six messages waiting in one session, and the job for them.
async fn waiting(w: &World, u: &UserId) -> (SessionId, Vec<Message>, Job) {
    let (session, messages) = w
        .conversation(
            u,
            &[
                "My sister Maya visited at the weekend.",
                "We went to the sea.",
                "It was lovely.",
            ],
        )
        .await;
    assert_eq!(messages.len(), 6);
    let job = Job::ExtractSession {
        user: u.clone(),
        session_id: session.clone(),
        from_seq: 1,
        to_seq: 6,
    };
    (session, messages, job)
}

async fn contents(w: &World, u: &UserId) -> Vec<String> {
    w.fakes
        .store
        .list_memories(u, &MemoryFilter::default(), &PageRequest::first(50))
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|m| m.content)
        .collect()
}

fn down() -> ModelError {
    ModelError::Server {
        status: 503,
        retry_after: None,
    }
}

#[tokio::test]
async fn a_job_writes_its_memories_summary_and_watermark_together() {
    let w = World::new();
    let u = user("ana");
    let (session, messages, job) = waiting(&w, &u).await;
    w.deep.reply(&answer());
    extractor(&w, w.roles()).handle(&job).await.unwrap();

    let store = &w.fakes.store;
    let memories = store
        .list_memories(&u, &MemoryFilter::default(), &PageRequest::first(10))
        .await
        .unwrap()
        .items;
    assert_eq!(memories.len(), 1);
    let m = &memories[0];
    assert_eq!(
        (m.category, m.content.as_str()),
        (Category::Relationships, "Has a sister named Maya.")
    );
    assert_eq!(
        m.source_message_ids,
        vec![messages[0].id.clone()],
        "provenance"
    );
    let state = store.extraction_state(&u, &session).await.unwrap();
    assert_eq!(
        (state.extracted_through, state.summary.as_deref()),
        (6, Some("Maya visited; they went to the sea."))
    );
    assert_eq!(
        w.fakes.log.count("store: apply_extraction"),
        1,
        "one write for the whole job"
    );
    // The retrieval index learned the memory and the summary in that write.
    let index = w.retriever.index(&u).await.unwrap();
    assert!(
        index
            .doc(&doc_key(DocKind::Memory, m.id.as_str()))
            .is_some()
    );
    assert!(
        index
            .doc(&doc_key(DocKind::Summary, session.as_str()))
            .is_some()
    );
    drop(index);
    assert_eq!(
        w.fakes.events.published(),
        vec![DomainEvent::MemoriesUpdated {
            user: u,
            count: 1,
            at: w.now()
        }]
    );
    let sent = &w.deep.calls()[0].request;
    assert!(sent.json_schema.is_some(), "schema-bound JSON is asked for");
}

#[tokio::test]
async fn a_redelivered_job_is_acknowledged_without_a_model_call_or_a_write() {
    let w = World::new();
    let u = user("ana");
    let (_, _, job) = waiting(&w, &u).await;
    w.deep.reply(&answer());
    let ex = extractor(&w, w.roles());
    ex.handle(&job).await.unwrap();
    ex.handle(&job).await.expect("a redelivery succeeds");
    assert_eq!(w.deep.call_count(), 1, "no second model call");
    assert_eq!(w.fakes.log.count("store: apply_extraction"), 1);
    assert_eq!(contents(&w, &u).await, ["Has a sister named Maya."]);
    assert_eq!(w.fakes.events.published().len(), 1);
}

#[tokio::test]
async fn two_deliveries_at_once_leave_what_one_leaves() {
    let w = World::new();
    let u = user("ana");
    let (session, _, job) = waiting(&w, &u).await;
    w.deep.always_reply(&answer());
    // Each delivery yields while its model thinks, so both read the
    // watermark before either writes.
    w.deep.while_answering(|| tokio::task::yield_now().boxed());
    let ex = extractor(&w, w.roles());
    let (a, b) = tokio::join!(ex.handle(&job), ex.handle(&job));
    a.unwrap();
    b.unwrap();
    assert_eq!(
        w.deep.call_count(),
        2,
        "both deliveries got as far as the model"
    );
    assert_eq!(contents(&w, &u).await, ["Has a sister named Maya."]);
    let state = w.fakes.store.extraction_state(&u, &session).await.unwrap();
    assert_eq!(state.extracted_through, 6);
    assert_eq!(w.fakes.events.published().len(), 1, "one MemoriesUpdated");
}

#[tokio::test]
async fn a_failed_model_call_is_a_job_error_worth_retrying_and_writes_nothing() {
    let w = World::new();
    let u = user("ana");
    let (session, _, job) = waiting(&w, &u).await;
    w.deep.fail(down());
    w.chat.fail(ModelError::Timeout);
    let ex = extractor(&w, w.roles());
    let err = ex.handle(&job).await.unwrap_err();
    assert!(err.retry_can_help(), "{err}");
    assert_eq!(
        (w.deep.call_count(), w.chat.call_count()),
        (1, 1),
        "deep, then chat"
    );
    let state = w.fakes.store.extraction_state(&u, &session).await.unwrap();
    assert_eq!(state.extracted_through, 0);
    assert!(contents(&w, &u).await.is_empty());
    assert!(w.fakes.events.published().is_empty());

    // The redelivery, with the model back, does the job.
    w.deep.reply(&answer());
    ex.handle(&job).await.unwrap();
    assert_eq!(contents(&w, &u).await, ["Has a sister named Maya."]);
}

#[tokio::test]
async fn with_no_model_configured_the_job_error_says_a_retry_cannot_help() {
    let w = World::new();
    let u = user("ana");
    let (_, _, job) = waiting(&w, &u).await;
    let err = extractor(&w, w.roles_of(&[]))
        .handle(&job)
        .await
        .unwrap_err();
    assert!(!err.retry_can_help(), "{err}");
}

#[tokio::test]
async fn a_person_who_erases_while_the_job_runs_gets_nothing_written_back() {
    let w = World::new();
    let u = user("ana");
    let (_, _, job) = waiting(&w, &u).await;
    w.deep.always_reply(&answer());
    // The person erases everything while the model is thinking.
    let (store, who, at) = (w.fakes.store.clone(), u.clone(), w.now());
    w.deep.while_answering(move || {
        let (store, who) = (store.clone(), who.clone());
        async move {
            store.erase(&who, at).await.unwrap();
        }
        .boxed()
    });
    extractor(&w, w.roles())
        .handle(&job)
        .await
        .expect("acknowledged: a retry could only be refused again");
    assert_eq!(w.fakes.log.count("store: apply_extraction"), 1, "it tried");
    let left = w.fakes.store.export_page(&u, None, 1 << 20).await.unwrap();
    assert!(
        left.items.is_empty(),
        "nothing written back: {:?}",
        left.items
    );
    assert!(w.fakes.events.published().is_empty());
}
