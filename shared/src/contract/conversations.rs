//! The `ConversationStore` contract: sessions, messages, replies, client
//! ids, cursors, crisis flags and the activity index. Run it with
//! `conversation_store_contract!(factory)`, where `factory` returns
//! `(Arc<dyn ConversationStore>, guard)`.

use super::{at, user};
use crate::domain::assessment::StoredAssessment;
use crate::domain::ids::{ClientMessageId, SessionId, UserId};
use crate::domain::message::{
    ContextCounts, CrisisFlag, NewReply, NewUserMessage, RecordedTurn, ReplyMeta, Role, Usage,
};
use crate::domain::page::PageRequest;
use crate::domain::route::Route;
use crate::domain::safety::CrisisCategory;
use crate::domain::safety::flag::{CrisisReason, Flagged};
use crate::domain::safety::learned::RiskScores;
use crate::ports::{ConversationStore, StoreError};
use chrono::{TimeZone, Utc};
use std::sync::Arc;

type Store = Arc<dyn ConversationStore>;

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
                remember: true,
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
        remember: true,
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

/// "Don't remember this": the mark is kept with the message, its reply
/// and the session it began, read back as written; a session marked later
/// keeps its count, and the turns after the mark take it. Another
/// person's session, or an unknown one, is `NotFound`.
pub async fn remember_marks_are_kept(store: Store) {
    let u = user("a");
    let quiet = |session: Option<&SessionId>, text: &str, minute| NewUserMessage {
        remember: false,
        session_id: session.cloned(),
        content: text.to_string(),
        client_message_id: None,
        created_at: at(minute),
        crisis: None,
    };
    let t = store
        .record_user_message(&u, quiet(None, "keep this between us", 0))
        .await
        .unwrap();
    assert!(!t.message.remember && !t.session.remember);
    let r = store
        .record_reply(
            &u,
            &t.session.id,
            1,
            NewReply {
                remember: t.message.remember,
                ..reply("of course", 1)
            },
        )
        .await
        .unwrap();
    assert!(!r.remember);
    // A remembered request in a session that does not remember is not.
    let later = say(&store, &u, Some(&t.session.id), "and this", None, 2)
        .await
        .unwrap();
    assert!(!later.message.remember);
    let page = store
        .list_messages(&u, &t.session.id, &PageRequest::first(10))
        .await
        .unwrap();
    assert!(page.items.iter().all(|m| !m.remember));
    assert!(
        !store
            .get_session(&u, &t.session.id)
            .await
            .unwrap()
            .unwrap()
            .remember
    );

    // An ordinary session, then marked: the count stays, new turns take it.
    let open = say(&store, &u, None, "hello", None, 3).await.unwrap();
    assert!(open.message.remember && open.session.remember);
    let marked = store
        .set_session_remember(&u, &open.session.id, false)
        .await
        .unwrap();
    assert!(!marked.remember);
    assert_eq!(marked.message_count, 1);
    let next = say(&store, &u, Some(&open.session.id), "now private", None, 4)
        .await
        .unwrap();
    assert!(!next.message.remember);
    assert_eq!(next.session.message_count, 2);
    let listed = store
        .list_sessions(&u, &PageRequest::first(10))
        .await
        .unwrap();
    assert!(listed.items.iter().all(|s| !s.remember));
    // Marked again: remembered from then on.
    assert!(
        store
            .set_session_remember(&u, &open.session.id, true)
            .await
            .unwrap()
            .remember
    );
    let after = say(&store, &u, Some(&open.session.id), "remember me", None, 5)
        .await
        .unwrap();
    assert!(after.message.remember);

    let other = user("b");
    assert!(matches!(
        store
            .set_session_remember(&other, &open.session.id, false)
            .await,
        Err(StoreError::NotFound)
    ));
    let ghost = SessionId::parse("no-such-session").unwrap();
    assert!(matches!(
        store.set_session_remember(&u, &ghost, false).await,
        Err(StoreError::NotFound)
    ));
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
        remember: true,
        session_id: None,
        content: "text that is never copied into the flag".into(),
        client_message_id: Some(ClientMessageId::parse(cmid).unwrap()),
        created_at: at(minute),
        crisis: Some(Flagged::by_rule(CrisisCategory::Suicidal, "goodbyes")),
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
    assert_eq!(
        flags.items[1].reason,
        Some(CrisisReason::Rules {
            rule: "goodbyes".into()
        }),
        "the flag keeps which layer fired and why"
    );
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

pub async fn a_flag_recorded_after_its_message_is_listed_once(store: Store) {
    let (u, other) = (user("a"), user("b"));
    let turn = say(&store, &u, None, "an unflagged message", None, 0)
        .await
        .unwrap();
    let flag = CrisisFlag::for_message(
        &turn.message,
        Flagged::by_model_mark(CrisisCategory::SelfHarm),
    );
    store.record_crisis_flag(&u, &flag).await.unwrap();
    store.record_crisis_flag(&u, &flag).await.unwrap();
    let flags = store
        .list_crisis_flags(&u, &PageRequest::first(10))
        .await
        .unwrap();
    assert_eq!(flags.items, vec![flag], "stored once, as recorded");
    assert_eq!(flags.items[0].reason, Some(CrisisReason::ModelMark));
    assert!(
        store
            .list_crisis_flags(&other, &PageRequest::first(10))
            .await
            .unwrap()
            .items
            .is_empty()
    );
}

/// An assessment as the contract stores it: scores and a vector that
/// survive only if kept bit for bit.
pub fn assessment(p: f32) -> StoredAssessment {
    StoredAssessment {
        model: "contract-risk-model".into(),
        risk: RiskScores::from_probabilities([1.0 - p, p, 0.0, 0.0, 0.0]),
        vector: vec![0.6, -0.8, 1.0e-7, f32::MIN_POSITIVE, -0.0],
    }
}

pub async fn an_assessment_is_kept_with_its_message(store: Store) {
    let (u, other) = (user("a"), user("b"));
    let turn = say(&store, &u, None, "a quiet message", Some("as-1"), 0)
        .await
        .unwrap();
    let (sid, seq) = (turn.session.id.clone(), turn.message.seq);
    assert_eq!(turn.message.assessment, None, "none until recorded");
    store
        .record_assessment(&u, &sid, seq, &assessment(0.25))
        .await
        .unwrap();
    // Again, and replaced: the last one recorded is kept.
    store
        .record_assessment(&u, &sid, seq, &assessment(0.25))
        .await
        .unwrap();
    store
        .record_assessment(&u, &sid, seq, &assessment(0.5))
        .await
        .unwrap();
    // A reply marks its question answered: the assessment stays.
    store
        .record_reply(&u, &sid, seq, reply("I'm here.", 1))
        .await
        .unwrap();
    let listed = store
        .list_messages(&u, &sid, &PageRequest::first(10))
        .await
        .unwrap()
        .items;
    assert_eq!(listed[0].assessment, Some(assessment(0.5)), "bit for bit");
    assert_eq!(listed[0].answered_by, Some(2));
    assert_eq!(listed[1].assessment, None, "the reply has none");
    let recent = store.recent_messages(&u, &sid, 2, 10).await.unwrap();
    assert_eq!(recent[0].assessment, Some(assessment(0.5)));
    let replayed = say(&store, &u, Some(&sid), "a quiet message", Some("as-1"), 2)
        .await
        .unwrap();
    assert_eq!(replayed.message.assessment, Some(assessment(0.5)));
    assert!(matches!(
        store.record_assessment(&u, &sid, 9, &assessment(0.5)).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store
            .record_assessment(&other, &sid, seq, &assessment(0.5))
            .await,
        Err(StoreError::NotFound)
    ));
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
                        remember: true,
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
