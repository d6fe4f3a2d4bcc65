//! The store contract: the behaviour every `ConversationStore` adapter must
//! show, written once. An adapter's tests run all of it with
//! `conversation_store_contract!(factory)`, where `factory` is an async fn
//! returning `(Arc<dyn ConversationStore>, guard)`; the guard (a temp dir, a
//! table to drop) lives as long as the test.

use crate::domain::ids::{ClientMessageId, SessionId, UserId};
use crate::domain::message::{
    ContextCounts, NewReply, NewUserMessage, RecordedTurn, ReplyMeta, Role, Usage,
};
use crate::domain::page::PageRequest;
use crate::domain::route::Route;
use crate::domain::safety::CrisisCategory;
use crate::ports::{ConversationStore, StoreError};
use chrono::{Duration, TimeZone, Utc};
use std::sync::Arc;

type Store = Arc<dyn ConversationStore>;

fn user(name: &str) -> UserId {
    UserId::parse(format!("{name}-{}", uuid::Uuid::now_v7().simple())).unwrap()
}

fn at(minute: i64) -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 1, 9, 0, 0).unwrap() + Duration::minutes(minute)
}

async fn say(
    store: &Store,
    u: &UserId,
    session: Option<&SessionId>,
    text: &str,
    cmid: Option<&str>,
    minute: i64,
) -> Result<RecordedTurn, StoreError> {
    store
        .record_user_message(
            u,
            NewUserMessage {
                session_id: session.cloned(),
                content: text.into(),
                client_message_id: cmid.map(|c| ClientMessageId::parse(c).unwrap()),
                created_at: at(minute),
                crisis: None,
            },
        )
        .await
}

fn reply(text: &str, minute: i64) -> NewReply {
    NewReply {
        content: text.into(),
        created_at: at(minute),
        meta: ReplyMeta {
            route: Route::Support,
            model: "test-model".into(),
            usage: Usage {
                input_tokens: 12,
                output_tokens: 7,
            },
            memories_used: vec!["mem-1".into()],
            context: ContextCounts {
                turns: 1,
                memories: 1,
                summaries: 0,
                excerpts: 0,
            },
        },
    }
}

pub async fn first_message_creates_a_session(store: Store) {
    let u = user("a");
    let t = say(&store, &u, None, "hello", None, 0).await.unwrap();
    assert!(!t.replayed);
    assert_eq!(t.message.seq, 1);
    assert_eq!(t.message.role, Role::User);
    assert_eq!(t.session.message_count, 1);
    let s = store.get_session(&u, &t.session.id).await.unwrap().unwrap();
    assert_eq!(s.message_count, 1);
    assert_eq!(s.created_at, at(0));
}

pub async fn reply_is_stored_with_its_metadata(store: Store) {
    let u = user("a");
    let t = say(&store, &u, None, "hello", None, 0).await.unwrap();
    let r = store
        .record_reply(&u, &t.session.id, 1, reply("hi there", 1))
        .await
        .unwrap();
    assert_eq!(r.seq, 2);
    assert_eq!(r.role, Role::Assistant);
    let meta = r.reply.clone().unwrap();
    assert_eq!(meta.model, "test-model");
    assert_eq!(meta.usage.output_tokens, 7);
    assert_eq!(meta.memories_used, vec!["mem-1".to_string()]);
    let page = store
        .list_messages(&u, &t.session.id, &PageRequest::first(10))
        .await
        .unwrap();
    assert_eq!(page.items.len(), 2);
    assert_eq!(page.items[1], r);
    assert_eq!(page.items[0].answered_by, Some(2));
    let s = store.get_session(&u, &t.session.id).await.unwrap().unwrap();
    assert_eq!(s.message_count, 2);
    assert_eq!(s.last_message_at, at(1));
}

pub async fn only_one_reply_is_stored_per_message(store: Store) {
    let u = user("a");
    let t = say(&store, &u, None, "hello", None, 0).await.unwrap();
    let first = store
        .record_reply(&u, &t.session.id, 1, reply("one", 1))
        .await
        .unwrap();
    let second = store
        .record_reply(&u, &t.session.id, 1, reply("two", 2))
        .await
        .unwrap();
    assert_eq!(first, second);
    let s = store.get_session(&u, &t.session.id).await.unwrap().unwrap();
    assert_eq!(s.message_count, 2);
}

pub async fn client_message_id_is_idempotent(store: Store) {
    let u = user("a");
    let first = say(&store, &u, None, "hello", Some("c-1"), 0)
        .await
        .unwrap();
    let again = say(&store, &u, None, "hello", Some("c-1"), 1)
        .await
        .unwrap();
    assert!(again.replayed);
    assert_eq!(again.message.id, first.message.id);
    assert_eq!(again.session.id, first.session.id);
    assert!(again.reply.is_none());
    let sessions = store
        .list_sessions(&u, &PageRequest::first(10))
        .await
        .unwrap();
    assert_eq!(sessions.items.len(), 1);
    assert_eq!(sessions.items[0].message_count, 1);

    let r = store
        .record_reply(&u, &first.session.id, 1, reply("hi", 2))
        .await
        .unwrap();
    let third = say(&store, &u, Some(&first.session.id), "hello", Some("c-1"), 3)
        .await
        .unwrap();
    assert!(third.replayed);
    assert_eq!(third.reply, Some(r));
}

pub async fn unknown_session_is_not_found(store: Store) {
    let u = user("a");
    let ghost = SessionId::parse("no-such-session").unwrap();
    assert!(matches!(
        say(&store, &u, Some(&ghost), "hi", None, 0).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store
            .list_messages(&u, &ghost, &PageRequest::first(5))
            .await,
        Err(StoreError::NotFound)
    ));
    assert!(store.get_session(&u, &ghost).await.unwrap().is_none());
    assert!(matches!(
        store.record_reply(&u, &ghost, 1, reply("x", 1)).await,
        Err(StoreError::NotFound)
    ));
}

pub async fn users_are_isolated(store: Store) {
    let (a, b) = (user("a"), user("b"));
    let t = say(&store, &a, None, "private", Some("same-id"), 0)
        .await
        .unwrap();
    let sid = t.session.id.clone();
    assert!(store.get_session(&b, &sid).await.unwrap().is_none());
    assert!(matches!(
        store.list_messages(&b, &sid, &PageRequest::first(5)).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        say(&store, &b, Some(&sid), "intrude", None, 1).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store.record_reply(&b, &sid, 1, reply("x", 1)).await,
        Err(StoreError::NotFound)
    ));
    assert!(
        store
            .recent_messages(&b, &sid, 10, 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .list_sessions(&b, &PageRequest::first(5))
            .await
            .unwrap()
            .items
            .is_empty()
    );
    // The same client_message_id from another user is a different turn.
    let other = say(&store, &b, None, "mine", Some("same-id"), 2)
        .await
        .unwrap();
    assert!(!other.replayed);
    assert_ne!(other.session.id, sid);
}

pub async fn messages_page_oldest_first(store: Store) {
    let u = user("a");
    let t = say(&store, &u, None, "m1", None, 0).await.unwrap();
    let sid = t.session.id.clone();
    for i in 2..=7 {
        say(&store, &u, Some(&sid), &format!("m{i}"), None, i)
            .await
            .unwrap();
    }
    let mut seen = Vec::new();
    let mut page = PageRequest::first(3);
    let mut pages = 0;
    loop {
        let p = store.list_messages(&u, &sid, &page).await.unwrap();
        pages += 1;
        assert!(p.items.len() <= 3);
        seen.extend(p.items.iter().map(|m| m.content.clone()));
        match p.next_cursor {
            Some(c) => {
                page = PageRequest {
                    limit: 3,
                    cursor: Some(c),
                }
            }
            None => break,
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(seen, (1..=7).map(|i| format!("m{i}")).collect::<Vec<_>>());
}

pub async fn sessions_page_newest_first(store: Store) {
    let u = user("a");
    let mut ids = Vec::new();
    for i in 0..5 {
        ids.push(
            say(&store, &u, None, "hi", None, i)
                .await
                .unwrap()
                .session
                .id,
        );
    }
    ids.reverse();
    let mut seen = Vec::new();
    let mut page = PageRequest::first(2);
    loop {
        let p = store.list_sessions(&u, &page).await.unwrap();
        seen.extend(p.items.iter().map(|s| s.id.clone()));
        match p.next_cursor {
            Some(c) => {
                page = PageRequest {
                    limit: 2,
                    cursor: Some(c),
                }
            }
            None => break,
        }
    }
    assert_eq!(seen, ids);
}

pub async fn recent_messages_are_bounded_and_end_at_seq(store: Store) {
    let u = user("a");
    let t = say(&store, &u, None, "m1", None, 0).await.unwrap();
    let sid = t.session.id.clone();
    for i in 2..=12 {
        say(&store, &u, Some(&sid), &format!("m{i}"), None, i)
            .await
            .unwrap();
    }
    let recent = store.recent_messages(&u, &sid, 9, 4).await.unwrap();
    let seqs: Vec<u64> = recent.iter().map(|m| m.seq).collect();
    assert_eq!(seqs, vec![6, 7, 8, 9]);
    let all = store.recent_messages(&u, &sid, 100, 100).await.unwrap();
    assert_eq!(all.len(), 12);
}

pub async fn foreign_cursor_is_rejected(store: Store) {
    let u = user("a");
    let t = say(&store, &u, None, "m1", None, 0).await.unwrap();
    let bad = PageRequest {
        limit: 5,
        cursor: Some("garbage".into()),
    };
    assert!(matches!(
        store.list_messages(&u, &t.session.id, &bad).await,
        Err(StoreError::BadCursor)
    ));
    assert!(matches!(
        store.list_sessions(&u, &bad).await,
        Err(StoreError::BadCursor)
    ));
    // A cursor this store issued, but for another list.
    say(&store, &u, Some(&t.session.id), "m2", None, 1)
        .await
        .unwrap();
    let messages = store
        .list_messages(&u, &t.session.id, &PageRequest::first(1))
        .await
        .unwrap();
    let foreign = PageRequest {
        limit: 5,
        cursor: messages.next_cursor,
    };
    assert!(foreign.cursor.is_some());
    assert!(matches!(
        store.list_sessions(&u, &foreign).await,
        Err(StoreError::BadCursor)
    ));
    assert!(matches!(
        store.list_crisis_flags(&u, &foreign).await,
        Err(StoreError::BadCursor)
    ));
}

pub async fn crisis_flag_is_stored_with_its_message_once(store: Store) {
    let (u, other) = (user("a"), user("b"));
    let flagged = |minute, cmid: &str| NewUserMessage {
        session_id: None,
        content: "text that is never copied into the flag".into(),
        client_message_id: Some(ClientMessageId::parse(cmid).unwrap()),
        created_at: at(minute),
        crisis: Some(CrisisCategory::Suicidal),
    };
    let first = store
        .record_user_message(&u, flagged(0, "c-1"))
        .await
        .unwrap();
    let again = store
        .record_user_message(&u, flagged(1, "c-1"))
        .await
        .unwrap();
    assert!(again.replayed);
    let second = store
        .record_user_message(&u, flagged(2, "c-2"))
        .await
        .unwrap();
    say(&store, &u, None, "an ordinary message", None, 3)
        .await
        .unwrap();

    let flags = store
        .list_crisis_flags(&u, &PageRequest::first(10))
        .await
        .unwrap();
    assert_eq!(
        flags.items.len(),
        2,
        "one flag per flagged message, none for the replay"
    );
    assert_eq!(flags.items[0].message_id, second.message.id, "newest first");
    assert_eq!(flags.items[1].message_id, first.message.id);
    assert_eq!(flags.items[1].session_id, first.session.id);
    assert_eq!(flags.items[1].at, at(0));
    assert_eq!(flags.items[1].category, CrisisCategory::Suicidal);
    let page = store
        .list_crisis_flags(&u, &PageRequest::first(1))
        .await
        .unwrap();
    let rest = store
        .list_crisis_flags(
            &u,
            &PageRequest {
                limit: 1,
                cursor: page.next_cursor,
            },
        )
        .await
        .unwrap();
    assert_eq!(rest.items[0].message_id, first.message.id);
    assert!(
        store
            .list_crisis_flags(&other, &PageRequest::first(10))
            .await
            .unwrap()
            .items
            .is_empty()
    );
}

pub async fn activity_is_indexed_by_day(store: Store) {
    // Users unique to this test, on a day no other test writes.
    let day = |d: u32| Utc.with_ymd_and_hms(2031, 3, d, 12, 0, 0).unwrap();
    let tag = uuid::Uuid::now_v7().simple().to_string();
    let users: Vec<UserId> = (0..5)
        .map(|i| UserId::parse(format!("act{i}-{tag}")).unwrap())
        .collect();
    for (i, u) in users.iter().enumerate() {
        let when = if i < 4 { day(10) } else { day(11) };
        for _ in 0..2 {
            store
                .record_user_message(
                    u,
                    NewUserMessage {
                        session_id: None,
                        content: "hi".into(),
                        client_message_id: None,
                        created_at: when,
                        crisis: None,
                    },
                )
                .await
                .unwrap();
        }
    }
    let mut seen = Vec::new();
    let mut page = PageRequest::first(3);
    loop {
        let p = store
            .active_users(day(10).date_naive(), &page)
            .await
            .unwrap();
        seen.extend(p.items.into_iter().filter(|u| u.as_str().ends_with(&tag)));
        match p.next_cursor {
            Some(c) => {
                page = PageRequest {
                    limit: 3,
                    cursor: Some(c),
                }
            }
            None => break,
        }
    }
    assert_eq!(
        seen,
        users[..4].to_vec(),
        "each active user once, in id order"
    );
    let next = store
        .active_users(day(11).date_naive(), &PageRequest::first(50))
        .await
        .unwrap();
    assert!(next.items.contains(&users[4]) && !next.items.contains(&users[0]));
}

/// Run every contract case against one adapter.
#[macro_export]
macro_rules! conversation_store_contract {
    ($factory:path) => {
        $crate::conversation_store_contract!(@cases $factory;
            first_message_creates_a_session,
            reply_is_stored_with_its_metadata,
            only_one_reply_is_stored_per_message,
            client_message_id_is_idempotent,
            unknown_session_is_not_found,
            users_are_isolated,
            messages_page_oldest_first,
            sessions_page_newest_first,
            recent_messages_are_bounded_and_end_at_seq,
            foreign_cursor_is_rejected,
            crisis_flag_is_stored_with_its_message_once,
            activity_is_indexed_by_day,
        );
    };
    (@cases $factory:path; $($case:ident),* $(,)?) => {
        $(
            #[tokio::test]
            async fn $case() {
                let (store, _guard) = $factory().await;
                $crate::contract::$case(store).await;
            }
        )*
    };
}

/// The `MemoryStore` contract: run with `memory_store_contract!(factory)`,
/// where `factory` returns `(Arc<dyn MemoryStore>, guard)`.
pub mod memory {
    use super::{at, user};
    use crate::domain::extraction::{MemoryWrite, Plan};
    use crate::domain::ids::{MemoryId, MessageId, SessionId};
    use crate::domain::memory::{Category, Memory, MemoryFilter, MemoryPatch};
    use crate::domain::page::PageRequest;
    use crate::domain::retrieval::{DocKind, Embedding, Index, Vector, job_ops};
    use crate::ports::{ApplyOutcome, MemoryStore, StoreError};
    use std::sync::Arc;

    type Store = Arc<dyn MemoryStore>;

    fn fact(content: &str, category: Category, minute: i64) -> Memory {
        Memory {
            id: MemoryId::generate(),
            category,
            content: content.into(),
            importance: 5,
            source_message_ids: vec![MessageId::parse("msg-1").unwrap()],
            session_id: SessionId::parse("s1").unwrap(),
            created_at: at(minute),
            updated_at: at(minute),
            ended_at: None,
            superseded_by: None,
            edited: false,
        }
    }

    fn plan(writes: Vec<MemoryWrite>, summary: &str) -> Plan {
        Plan {
            added: writes.len() as u32,
            writes,
            summary: summary.into(),
            index: Vec::new(),
        }
    }

    fn new(m: &Memory) -> MemoryWrite {
        MemoryWrite {
            memory: m.clone(),
            seen_updated_at: None,
        }
    }

    pub async fn an_extraction_range_is_claimed_once(store: Store) {
        let (u, s) = (user("a"), SessionId::generate());
        assert_eq!(store.claim_extraction(&u, &s, 5, 6).await.unwrap(), None);
        let racers: Vec<_> = (0..6)
            .map(|_| {
                let (store, u, s) = (store.clone(), u.clone(), s.clone());
                tokio::spawn(async move { store.claim_extraction(&u, &s, 6, 6).await.unwrap() })
            })
            .collect();
        let mut won = Vec::new();
        for r in racers {
            won.extend(r.await.unwrap());
        }
        assert_eq!(won, vec![(1, 6)], "exactly one claim of concurrent turns");
        assert_eq!(store.claim_extraction(&u, &s, 7, 6).await.unwrap(), None);
        assert_eq!(
            store.claim_extraction(&u, &s, 12, 6).await.unwrap(),
            Some((7, 12))
        );
        assert_eq!(
            store
                .extraction_state(&u, &s)
                .await
                .unwrap()
                .enqueued_through,
            12
        );
        // A claim whose job could not be enqueued is given back, and taken again.
        store.release_extraction(&u, &s, (7, 12)).await.unwrap();
        assert_eq!(
            store
                .extraction_state(&u, &s)
                .await
                .unwrap()
                .enqueued_through,
            6
        );
        assert_eq!(
            store.claim_extraction(&u, &s, 12, 6).await.unwrap(),
            Some((7, 12))
        );
    }

    pub async fn a_job_is_written_together_and_only_once(store: Store) {
        let (u, s) = (user("a"), SessionId::generate());
        let a = fact("Has a sister named Maya.", Category::Relationships, 1);
        let b = fact(
            "Works night shifts at a hospital.",
            Category::WorkAndLife,
            2,
        );
        let p = plan(vec![new(&a), new(&b)], "Talked about Maya and work.");
        assert_eq!(
            store
                .apply_extraction(&u, &s, 0, 6, &p, at(0))
                .await
                .unwrap(),
            ApplyOutcome::Applied
        );
        // A redelivery of the same job, and a stale one, change nothing.
        let again = plan(
            vec![new(&fact(
                "Has a sister named Maya.",
                Category::Relationships,
                3,
            ))],
            "other",
        );
        assert_eq!(
            store
                .apply_extraction(&u, &s, 0, 6, &again, at(0))
                .await
                .unwrap(),
            ApplyOutcome::AlreadyApplied
        );
        let state = store.extraction_state(&u, &s).await.unwrap();
        assert_eq!(
            (state.extracted_through, state.summary.as_deref()),
            (6, Some("Talked about Maya and work."))
        );
        let all = store
            .list_memories(&u, &MemoryFilter::default(), &PageRequest::first(10))
            .await
            .unwrap();
        assert_eq!(all.items.len(), 2);
        assert_eq!(all.items[0].id, b.id, "newest first");
    }

    pub async fn supersede_keeps_history_and_lists_filter(store: Store) {
        let (u, s) = (user("a"), SessionId::generate());
        let old = fact("Works as an accountant.", Category::WorkAndLife, 1);
        let other = fact("Walks to cope with stress.", Category::ValuesAndCoping, 2);
        store
            .apply_extraction(
                &u,
                &s,
                0,
                6,
                &plan(vec![new(&old), new(&other)], "s1"),
                at(0),
            )
            .await
            .unwrap();
        let successor = fact("Works at a bakery.", Category::WorkAndLife, 10);
        let mut ended = old.clone();
        ended.ended_at = Some(at(10));
        ended.superseded_by = Some(successor.id.clone());
        ended.updated_at = at(10);
        let p = plan(
            vec![
                MemoryWrite {
                    memory: ended,
                    seen_updated_at: Some(old.updated_at),
                },
                new(&successor),
            ],
            "s2",
        );
        assert_eq!(
            store
                .apply_extraction(&u, &s, 6, 12, &p, at(0))
                .await
                .unwrap(),
            ApplyOutcome::Applied
        );

        let active = store
            .list_memories(&u, &MemoryFilter::default(), &PageRequest::first(10))
            .await
            .unwrap();
        assert_eq!(
            active
                .items
                .iter()
                .map(|m| m.id.clone())
                .collect::<Vec<_>>(),
            vec![successor.id.clone(), other.id.clone()]
        );
        let history = MemoryFilter {
            category: Some(Category::WorkAndLife),
            include_superseded: true,
        };
        let work = store
            .list_memories(&u, &history, &PageRequest::first(10))
            .await
            .unwrap();
        assert_eq!(work.items.len(), 2);
        assert_eq!(work.items[1].superseded_by.as_ref(), Some(&successor.id));
        assert_eq!(work.items[1].ended_at, Some(at(10)));
        let page = store
            .list_memories(
                &u,
                &MemoryFilter {
                    include_superseded: true,
                    category: None,
                },
                &PageRequest::first(2),
            )
            .await
            .unwrap();
        let rest = store
            .list_memories(
                &u,
                &MemoryFilter {
                    include_superseded: true,
                    category: None,
                },
                &PageRequest {
                    limit: 2,
                    cursor: page.next_cursor,
                },
            )
            .await
            .unwrap();
        assert_eq!(page.items.len() + rest.items.len(), 3);
        assert_eq!(store.active_memories(&u, 10).await.unwrap().len(), 2);
    }

    pub async fn a_job_never_overwrites_an_edit_made_meanwhile(store: Store) {
        let (u, s) = (user("a"), SessionId::generate());
        let m = fact("Likes tea.", Category::ValuesAndCoping, 1);
        store
            .apply_extraction(&u, &s, 0, 6, &plan(vec![new(&m)], "s"), at(0))
            .await
            .unwrap();
        let patch = MemoryPatch {
            content: Some("Loves green tea.".into()),
            importance: None,
        };
        let edited = store
            .edit_memory(&u, &m.id, &patch, None, at(20))
            .await
            .unwrap();
        assert!(edited.edited);
        let mut stale = m.clone();
        stale.content = "Likes black tea.".into();
        let p = plan(
            vec![MemoryWrite {
                memory: stale,
                seen_updated_at: Some(m.updated_at),
            }],
            "s2",
        );
        assert_eq!(
            store
                .apply_extraction(&u, &s, 6, 12, &p, at(0))
                .await
                .unwrap(),
            ApplyOutcome::Conflict
        );
        let state = store.extraction_state(&u, &s).await.unwrap();
        assert_eq!(state.extracted_through, 6, "nothing of the job was written");
        let now = store
            .list_memories(&u, &MemoryFilter::default(), &PageRequest::first(5))
            .await
            .unwrap();
        assert_eq!(now.items[0].content, "Loves green tea.");
    }

    /// Replays a person's log into an index, as the retriever does.
    async fn replay(store: &Store, u: &crate::domain::ids::UserId, page: usize) -> (Index, u64) {
        let mut index = Index::new();
        let mut reads = 0;
        loop {
            let p = store.index_entries(u, index.through(), page).await.unwrap();
            reads += 1;
            let n = p.entries.len();
            for e in &p.entries {
                index.apply(e.seq, &e.ops);
            }
            if n == 0 || index.through() >= p.head {
                return (index, reads);
            }
        }
    }

    fn keys(index: &Index) -> Vec<String> {
        let mut k: Vec<String> = index.docs().map(|d| d.key()).collect();
        k.sort();
        k
    }

    pub async fn the_index_log_records_each_change_in_its_write(store: Store) {
        let (u, other, s) = (user("a"), user("b"), SessionId::generate());
        let a = fact("Has a sister named Maya.", Category::Relationships, 1);
        let b = fact("Works night shifts.", Category::WorkAndLife, 2);
        let mut p = plan(vec![new(&a), new(&b)], "Talked about Maya.");
        p.index = job_ops(
            &[],
            &[a.clone(), b.clone()],
            &s,
            "Talked about Maya.",
            at(3),
            &Default::default(),
        );
        store
            .apply_extraction(&u, &s, 0, 6, &p, at(0))
            .await
            .unwrap();
        let (index, _) = replay(&store, &u, 10).await;
        let mut want = vec![
            format!("memory:{}", a.id),
            format!("memory:{}", b.id),
            format!("summary:{s}"),
        ];
        want.sort();
        assert_eq!(keys(&index), want);
        // A redelivery writes nothing to the log either.
        assert_eq!(
            store
                .apply_extraction(&u, &s, 0, 6, &p, at(0))
                .await
                .unwrap(),
            ApplyOutcome::AlreadyApplied
        );
        let head = store.index_entries(&u, 0, 100).await.unwrap().head;
        // An edit and a forget are in the log with them; the edit's
        // vector, computed from its new content, is indexed with it.
        let patch = MemoryPatch {
            content: Some("Has a sister, Maya, in Leeds.".into()),
            importance: None,
        };
        let vector = Vector::from_f32(&[0.6, 0.8]).unwrap();
        let fresh = Embedding {
            text: "Has a sister, Maya, in Leeds.".into(),
            vector: vector.clone(),
        };
        store
            .edit_memory(&u, &a.id, &patch, Some(fresh.clone()), at(5))
            .await
            .unwrap();
        store.forget_memory(&u, &b.id, at(6)).await.unwrap();
        let after = store.index_entries(&u, head, 100).await.unwrap();
        assert_eq!(after.entries.len(), 2);
        assert_eq!(after.head, head + 2);
        let (index, _) = replay(&store, &u, 1).await;
        assert_eq!(
            keys(&index),
            vec![format!("memory:{}", a.id), format!("summary:{s}")]
        );
        let doc = index.doc(&format!("memory:{}", a.id)).unwrap();
        assert_eq!(
            (doc.text.as_str(), doc.vector.as_ref()),
            ("Has a sister, Maya, in Leeds.", Some(&vector))
        );
        // Read in pages of one, from any point, and only the owner's.
        let (_, reads) = replay(&store, &u, 1).await;
        assert_eq!(reads, head + 2);
        assert!(
            store
                .index_entries(&u, head + 2, 10)
                .await
                .unwrap()
                .entries
                .is_empty()
        );
        let theirs = store.index_entries(&other, 0, 10).await.unwrap();
        assert_eq!((theirs.entries.len(), theirs.head), (0, 0));
        // A vector of other text than the edit leaves (never lands on a
        // racing edit's content): the memory is indexed without one.
        let patch = MemoryPatch {
            content: Some("Has a sister, Maya, in York.".into()),
            importance: None,
        };
        store
            .edit_memory(&u, &a.id, &patch, Some(fresh), at(7))
            .await
            .unwrap();
        let (index, _) = replay(&store, &u, 10).await;
        let doc = index.doc(&format!("memory:{}", a.id)).unwrap();
        assert_eq!(
            (doc.text.as_str(), doc.vector.as_ref()),
            ("Has a sister, Maya, in York.", None)
        );
    }

    pub async fn concurrent_index_writes_never_leave_a_gap(store: Store) {
        let u = user("a");
        let first = fact("Seed.", Category::Progress, 1);
        let s0 = SessionId::generate();
        let mut p = plan(vec![new(&first)], "s");
        p.index = job_ops(
            &[],
            std::slice::from_ref(&first),
            &s0,
            "s",
            at(1),
            &Default::default(),
        );
        store
            .apply_extraction(&u, &s0, 0, 6, &p, at(0))
            .await
            .unwrap();
        // Eight jobs for eight sessions, and edits, all at once.
        let mut tasks = Vec::new();
        for i in 0..8 {
            let store = store.clone();
            let u = u.clone();
            tasks.push(tokio::spawn(async move {
                let s = SessionId::generate();
                let m = fact(&format!("Fact {i}."), Category::Progress, i);
                let mut p = plan(vec![new(&m)], &format!("Summary {i}."));
                p.index = job_ops(
                    &[],
                    std::slice::from_ref(&m),
                    &s,
                    &format!("Summary {i}."),
                    at(2),
                    &Default::default(),
                );
                assert_eq!(
                    store
                        .apply_extraction(&u, &s, 0, 6, &p, at(0))
                        .await
                        .unwrap(),
                    ApplyOutcome::Applied
                );
            }));
        }
        for i in 0..4 {
            let (store, u, id) = (store.clone(), u.clone(), first.id.clone());
            tasks.push(tokio::spawn(async move {
                let patch = MemoryPatch {
                    content: None,
                    importance: Some(i + 1),
                };
                // A lost race with another edit is a clear Conflict, never a gap.
                let _ = store
                    .edit_memory(&u, &id, &patch, None, at(10 + i as i64))
                    .await;
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        let page = store.index_entries(&u, 0, 1_000).await.unwrap();
        let seqs: Vec<u64> = page.entries.iter().map(|e| e.seq).collect();
        assert_eq!(
            seqs,
            (1..=page.head).collect::<Vec<_>>(),
            "entries 1..=head, no gap"
        );
        let (index, _) = replay(&store, &u, 3).await;
        assert_eq!(
            index.docs().filter(|d| d.kind == DocKind::Memory).count(),
            9
        );
    }

    pub async fn forgetting_leaves_a_tombstone_and_is_scoped_to_its_owner(store: Store) {
        let (u, other, s) = (user("a"), user("b"), SessionId::generate());
        let m = fact("Has a brother named Tom.", Category::Relationships, 1);
        store
            .apply_extraction(&u, &s, 0, 6, &plan(vec![new(&m)], "s"), at(0))
            .await
            .unwrap();
        let patch = MemoryPatch {
            importance: Some(2),
            content: None,
        };
        assert!(matches!(
            store.edit_memory(&other, &m.id, &patch, None, at(2)).await,
            Err(StoreError::NotFound)
        ));
        assert!(matches!(
            store.forget_memory(&other, &m.id, at(2)).await,
            Err(StoreError::NotFound)
        ));
        store.forget_memory(&u, &m.id, at(3)).await.unwrap();
        assert!(
            store
                .list_memories(
                    &u,
                    &MemoryFilter {
                        include_superseded: true,
                        category: None
                    },
                    &PageRequest::first(5)
                )
                .await
                .unwrap()
                .items
                .is_empty()
        );
        let tombs = store.tombstones(&u, 10).await.unwrap();
        assert_eq!(tombs.len(), 1);
        assert_eq!(
            (tombs[0].memory_id.clone(), tombs[0].content.as_str()),
            (m.id.clone(), "Has a brother named Tom.")
        );
        assert!(matches!(
            store.forget_memory(&u, &m.id, at(4)).await,
            Err(StoreError::NotFound)
        ));
        assert!(store.tombstones(&other, 10).await.unwrap().is_empty());
    }
}

/// Run every `MemoryStore` contract case against one adapter.
#[macro_export]
macro_rules! memory_store_contract {
    ($factory:path) => {
        $crate::memory_store_contract!(@cases $factory;
            an_extraction_range_is_claimed_once,
            a_job_is_written_together_and_only_once,
            supersede_keeps_history_and_lists_filter,
            a_job_never_overwrites_an_edit_made_meanwhile,
            forgetting_leaves_a_tombstone_and_is_scoped_to_its_owner,
            the_index_log_records_each_change_in_its_write,
            concurrent_index_writes_never_leave_a_gap,
        );
    };
    (@cases $factory:path; $($case:ident),* $(,)?) => {
        $(
            #[tokio::test]
            async fn $case() {
                let (store, _guard) = $factory().await;
                $crate::contract::memory::$case(store).await;
            }
        )*
    };
}

/// The `PersonalData` contract: run with `personal_data_contract!(factory)`,
/// where `factory` returns `(Arc<S>, guard)` for a store `S` that
/// implements the conversation, memory and personal-data ports.
pub mod personal_data {
    use super::{at, user};
    use crate::domain::checkin::{CheckIn, Settings};
    use crate::domain::extraction::{MemoryWrite, Plan};
    use crate::domain::ids::{ClientMessageId, MemoryId, SessionId, UserId};
    use crate::domain::journal::{JournalItem, JournalKind};
    use crate::domain::memory::{Category, Memory};
    use crate::domain::message::{NewUserMessage, Role};
    use crate::domain::page::PageRequest;
    use crate::domain::personal_data::{ImportLine, ItemKind, parse_line};
    use crate::domain::safety::CrisisCategory;
    use crate::ports::{
        ApplyOutcome, CheckinStore, ConversationStore, JournalStore, MemoryStore, PersonalData,
        SettingsStore,
    };
    use std::collections::BTreeSet;
    use std::sync::Arc;

    /// Every kind a store can hold through the ports (queue and outbox kinds
    /// are the embedded store's own, seeded by its tests).
    pub const PORT_KINDS: &[ItemKind] = &[
        ItemKind::Session,
        ItemKind::Message,
        ItemKind::ClientMessageId,
        ItemKind::ExternalId,
        ItemKind::CrisisFlag,
        ItemKind::Activity,
        ItemKind::Memory,
        ItemKind::Tombstone,
        ItemKind::Summary,
        ItemKind::SearchIndex,
        ItemKind::Settings,
        ItemKind::Checkin,
        ItemKind::JournalEntry,
        ItemKind::JournalPrompt,
    ];

    pub fn import_line(session: &str, ext: &str, minute: u32) -> ImportLine {
        parse_line(&format!(
            r#"{{"session_id":"{session}","role":"user","content":"imported {ext}","created_at":"2025-01-01T10:{minute:02}:00Z","external_id":"{ext}"}}"#
        ))
        .unwrap()
    }

    /// One of every port kind for `u`.
    pub async fn seed<
        S: ConversationStore
            + MemoryStore
            + PersonalData
            + SettingsStore
            + CheckinStore
            + JournalStore
            + ?Sized,
    >(
        store: &S,
        u: &UserId,
    ) {
        let t = store
            .record_user_message(
                u,
                NewUserMessage {
                    session_id: None,
                    content: "I wrote goodbye letters".into(),
                    client_message_id: Some(ClientMessageId::parse("seed-1").unwrap()),
                    created_at: at(0),
                    crisis: Some(CrisisCategory::Suicidal),
                },
            )
            .await
            .unwrap();
        store
            .import(u, &[import_line("imported-session", &format!("x-{u}"), 1)])
            .await
            .unwrap();
        store
            .claim_extraction(u, &t.session.id, 1, 1)
            .await
            .unwrap();
        let keep = Memory {
            id: MemoryId::generate(),
            category: Category::Progress,
            content: "Kept a journal for a week.".into(),
            importance: 4,
            source_message_ids: vec![t.message.id.clone()],
            session_id: t.session.id.clone(),
            created_at: at(1),
            updated_at: at(1),
            ended_at: None,
            superseded_by: None,
            edited: false,
        };
        let forget = Memory {
            id: MemoryId::generate(),
            content: "Has a cat.".into(),
            ..keep.clone()
        };
        let index = crate::domain::retrieval::job_ops(
            &[],
            &[keep.clone(), forget.clone()],
            &t.session.id,
            "Seeded.",
            at(0),
            &Default::default(),
        );
        let plan = Plan {
            writes: vec![
                MemoryWrite {
                    memory: keep,
                    seen_updated_at: None,
                },
                MemoryWrite {
                    memory: forget.clone(),
                    seen_updated_at: None,
                },
            ],
            summary: "Seeded.".into(),
            added: 2,
            index,
        };
        assert_eq!(
            store
                .apply_extraction(u, &t.session.id, 0, 1, &plan, at(0))
                .await
                .unwrap(),
            ApplyOutcome::Applied
        );
        store.forget_memory(u, &forget.id, at(2)).await.unwrap();
        let settings = Settings {
            timezone: "Asia/Tokyo".into(),
            push_token: Some("fcm-token".into()),
            ..Settings::defaults("en-US")
        };
        store.put_settings(u, &settings).await.unwrap();
        store
            .record_checkin(u, &checkin("2026-01-02", "How did the week end?"))
            .await
            .unwrap();
        store
            .add_journal(
                u,
                &JournalItem::new(JournalKind::Entry, "Walked by the sea.", at(3)),
            )
            .await
            .unwrap();
        store
            .add_journal(
                u,
                &JournalItem::new(JournalKind::Prompt, "What did the sea give you?", at(4)),
            )
            .await
            .unwrap();
    }

    fn checkin(date: &str, text: &str) -> CheckIn {
        let d: chrono::NaiveDate = date.parse().unwrap();
        CheckIn {
            id: d.to_string(),
            local_date: d,
            text: text.into(),
            created_at: at(5),
            variant: "model".into(),
            model: Some("m".into()),
            pushed: false,
        }
    }

    /// Settings, check-ins once per local date, and the journal newest first.
    pub async fn settings_checkins_and_journal<
        S: ConversationStore
            + MemoryStore
            + PersonalData
            + SettingsStore
            + CheckinStore
            + JournalStore
            + ?Sized,
    >(
        store: Arc<S>,
    ) {
        let (u, other) = (user("comp"), user("other"));
        assert_eq!(store.settings(&u).await.unwrap(), None);
        let s = Settings {
            checkin_hour: 8,
            ..Settings::defaults("en-GB")
        };
        store.put_settings(&u, &s).await.unwrap();
        assert_eq!(store.settings(&u).await.unwrap(), Some(s));
        assert_eq!(store.settings(&other).await.unwrap(), None);

        let (first, created) = store
            .record_checkin(&u, &checkin("2026-03-08", "First."))
            .await
            .unwrap();
        assert!(created);
        let (again, created) = store
            .record_checkin(&u, &checkin("2026-03-08", "Second."))
            .await
            .unwrap();
        assert!(!created, "one per local date");
        assert_eq!(again.text, first.text);
        store
            .record_checkin(&u, &checkin("2026-03-09", "Next day."))
            .await
            .unwrap();
        store.mark_pushed(&u, "2026-03-09").await.unwrap();
        let page = store
            .list_checkins(&u, &PageRequest::first(1))
            .await
            .unwrap();
        assert_eq!(page.items[0].text, "Next day.");
        assert!(page.items[0].pushed);
        let rest = store
            .list_checkins(
                &u,
                &PageRequest {
                    limit: 5,
                    cursor: page.next_cursor,
                },
            )
            .await
            .unwrap();
        assert_eq!(
            rest.items
                .iter()
                .map(|c| c.text.as_str())
                .collect::<Vec<_>>(),
            ["First."]
        );
        assert!(
            store
                .list_checkins(&other, &PageRequest::first(5))
                .await
                .unwrap()
                .items
                .is_empty()
        );

        let mut ids = Vec::new();
        for (i, kind) in [JournalKind::Entry, JournalKind::Prompt, JournalKind::Entry]
            .into_iter()
            .enumerate()
        {
            let item = JournalItem::new(kind, &format!("item {i}"), at(i as i64));
            store.add_journal(&u, &item).await.unwrap();
            ids.push(item.id);
        }
        let entries = store
            .list_journal(&u, Some(JournalKind::Entry), &PageRequest::first(1))
            .await
            .unwrap();
        assert_eq!(entries.items[0].text, "item 2", "newest first");
        let older = store
            .list_journal(
                &u,
                Some(JournalKind::Entry),
                &PageRequest {
                    limit: 5,
                    cursor: entries.next_cursor,
                },
            )
            .await
            .unwrap();
        assert_eq!(
            older
                .items
                .iter()
                .map(|j| j.text.as_str())
                .collect::<Vec<_>>(),
            ["item 0"]
        );
        assert_eq!(
            store
                .list_journal(&u, None, &PageRequest::first(10))
                .await
                .unwrap()
                .items
                .len(),
            3
        );
        assert_eq!(
            store.get_journal(&u, &ids[1]).await.unwrap().unwrap().kind,
            JournalKind::Prompt
        );
        assert_eq!(
            store.get_journal(&other, &ids[1]).await.unwrap(),
            None,
            "scoped to its owner"
        );
    }

    async fn export_all<S: PersonalData + ?Sized>(
        store: &S,
        u: &UserId,
        max_bytes: usize,
    ) -> (Vec<crate::domain::personal_data::ExportItem>, usize) {
        let mut items = Vec::new();
        let mut cursor: Option<String> = None;
        let mut pages = 0;
        loop {
            let page = store
                .export_page(u, cursor.as_deref(), max_bytes)
                .await
                .unwrap();
            pages += 1;
            items.extend(page.items);
            match page.next_cursor {
                Some(c) => cursor = Some(c),
                None => return (items, pages),
            }
        }
    }

    pub async fn export_holds_every_kind_across_pages<
        S: ConversationStore
            + MemoryStore
            + PersonalData
            + SettingsStore
            + CheckinStore
            + JournalStore
            + ?Sized,
    >(
        store: Arc<S>,
    ) {
        let u = user("exp");
        seed(&*store, &u).await;
        let (items, pages) = export_all(&*store, &u, 400).await;
        assert!(pages > 3, "small pages: {pages}");
        let kinds: BTreeSet<ItemKind> = items.iter().map(|i| i.kind).collect();
        for k in PORT_KINDS {
            assert!(kinds.contains(k), "export is missing {k}: {kinds:?}");
            assert!(store.item_kinds().contains(k), "{k} is not a declared kind");
        }
        let (whole, one) = export_all(&*store, &u, 1 << 20).await;
        assert_eq!(one, 1);
        assert_eq!(whole, items, "the same items whatever the page size");
        let message = items.iter().find(|i| i.kind == ItemKind::Message).unwrap();
        assert_eq!(message.data["content"], "I wrote goodbye letters");
    }

    pub async fn erase_leaves_nothing_and_spares_others<
        S: ConversationStore
            + MemoryStore
            + PersonalData
            + SettingsStore
            + CheckinStore
            + JournalStore
            + ?Sized,
    >(
        store: Arc<S>,
    ) {
        let (gone, stays) = (user("gone"), user("stays"));
        seed(&*store, &gone).await;
        seed(&*store, &stays).await;
        let before = export_all(&*store, &stays, 1 << 20).await.0;
        let receipt = store.erase(&gone, at(30)).await.unwrap();
        for k in PORT_KINDS {
            assert!(receipt.get(*k) > 0, "receipt has no {k}: {receipt:?}");
        }
        assert!(export_all(&*store, &gone, 1 << 20).await.0.is_empty());
        assert!(
            store
                .list_sessions(&gone, &PageRequest::first(10))
                .await
                .unwrap()
                .items
                .is_empty()
        );
        assert!(store.active_memories(&gone, 10).await.unwrap().is_empty());
        let log = store.index_entries(&gone, 0, 10).await.unwrap();
        assert_eq!(
            (log.entries.len(), log.head),
            (0, 0),
            "the index log is gone, head and all"
        );
        assert_eq!(
            export_all(&*store, &stays, 1 << 20).await.0,
            before,
            "another person's data is untouched"
        );
        let again = store.erase(&gone, at(31)).await.unwrap();
        assert!(
            again.counts().all(|(_, n)| n == 0),
            "a repeat erase deletes nothing: {again:?}"
        );
    }

    pub async fn no_job_writes_back_after_an_erase<
        S: ConversationStore
            + MemoryStore
            + PersonalData
            + SettingsStore
            + CheckinStore
            + JournalStore
            + ?Sized,
    >(
        store: Arc<S>,
    ) {
        let u = user("race");
        let t = store
            .record_user_message(
                &u,
                NewUserMessage {
                    session_id: None,
                    content: "hi".into(),
                    client_message_id: None,
                    created_at: at(0),
                    crisis: None,
                },
            )
            .await
            .unwrap();
        store.erase(&u, at(10)).await.unwrap();
        let m = Memory {
            id: MemoryId::generate(),
            category: Category::Progress,
            content: "A fact from before the erase.".into(),
            importance: 3,
            source_message_ids: vec![t.message.id.clone()],
            session_id: t.session.id.clone(),
            created_at: at(11),
            updated_at: at(11),
            ended_at: None,
            superseded_by: None,
            edited: false,
        };
        let plan = Plan {
            writes: vec![MemoryWrite {
                memory: m,
                seen_updated_at: None,
            }],
            summary: "s".into(),
            added: 1,
            index: Vec::new(),
        };
        // The job read messages written at minute 0; the erase began at 10.
        assert_eq!(
            store
                .apply_extraction(&u, &t.session.id, 0, 1, &plan, at(0))
                .await
                .unwrap(),
            ApplyOutcome::Erased
        );
        assert!(
            export_all(&*store, &u, 1 << 20).await.0.is_empty(),
            "nothing written back"
        );
        // New data, after the erase, is the person's fresh start.
        let later = store
            .record_user_message(
                &u,
                NewUserMessage {
                    session_id: None,
                    content: "hello again".into(),
                    client_message_id: None,
                    created_at: at(20),
                    crisis: None,
                },
            )
            .await
            .unwrap();
        assert_eq!(
            store
                .apply_extraction(&u, &later.session.id, 0, 1, &plan, at(20))
                .await
                .unwrap(),
            ApplyOutcome::Applied
        );
    }

    pub async fn import_twice_gives_one_copy<
        S: ConversationStore
            + MemoryStore
            + PersonalData
            + SettingsStore
            + CheckinStore
            + JournalStore
            + ?Sized,
    >(
        store: Arc<S>,
    ) {
        let u = user("imp");
        let lines: Vec<ImportLine> = (0..5)
            .map(|i| import_line("legacy-42", &format!("row-{i}"), i))
            .collect();
        let first = store.import(&u, &lines).await.unwrap();
        assert_eq!((first.imported, first.skipped), (5, 0));
        assert_eq!(
            first.sessions,
            vec![(SessionId::parse("legacy-42").unwrap(), 5)]
        );
        let second = store.import(&u, &lines).await.unwrap();
        assert_eq!((second.imported, second.skipped), (0, 5));
        let s = SessionId::parse("legacy-42").unwrap();
        let page = store
            .list_messages(&u, &s, &PageRequest::first(50))
            .await
            .unwrap();
        assert_eq!(page.items.len(), 5);
        assert_eq!(page.items[0].external_id.as_deref(), Some("row-0"));
        assert_eq!(page.items[0].role, Role::User);
        assert_eq!(
            page.items[3].created_at.to_rfc3339(),
            "2025-01-01T10:03:00+00:00",
            "original timestamps kept"
        );
        let session = store.get_session(&u, &s).await.unwrap().unwrap();
        assert_eq!(session.created_at.to_rfc3339(), "2025-01-01T10:00:00+00:00");
        // Another person may use the same external ids and session id.
        let other = user("imp2");
        assert_eq!(store.import(&other, &lines).await.unwrap().imported, 5);
    }
}

/// Run every `PersonalData` contract case against one adapter.
#[macro_export]
macro_rules! personal_data_contract {
    ($factory:path) => {
        $crate::personal_data_contract!(@cases $factory;
            export_holds_every_kind_across_pages,
            erase_leaves_nothing_and_spares_others,
            no_job_writes_back_after_an_erase,
            import_twice_gives_one_copy,
            settings_checkins_and_journal,
        );
    };
    (@cases $factory:path; $($case:ident),* $(,)?) => {
        $(
            #[tokio::test]
            async fn $case() {
                let (store, _guard) = $factory().await;
                $crate::contract::personal_data::$case(store).await;
            }
        )*
    };
}
