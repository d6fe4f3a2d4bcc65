//! The check of every reply before it is stored or shown (chat replies and
//! check-ins): deterministic rules over the reply's normalised text, and,
//! where rules cannot do it (a paraphrase), the reply's encoding compared
//! with a few anchor sentences. It catches:
//! - a reply that claims to be human ("I'm a real person, not a bot");
//! - a reply that gives method or means detail for self-harm (a dose, a
//!   height, how to tie something, "the most painless way");
//! - for a minor, sexual or romantic content.
//!
//! Such a reply is replaced by a safe one (`safe_reply`; for method detail
//! the caller gives the crisis path's fixed reply and resources instead)
//! and counted, with no user id. Look-alikes stay: "I'm not a person, I'm
//! an AI", "people often feel…", taking medication as prescribed, a
//! friend's wedding. Measured on `data/reply_check/replies.jsonl`
//! (BENCHMARKS.md). No I/O.

use super::safety::prepare;
use regex::Regex;
use serde::{Deserialize, Serialize};
use std::sync::LazyLock;

/// What a replaced reply did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReplyIssue {
    ClaimsHuman,
    MethodDetail,
    /// Sexual or romantic content, checked for a minor only.
    SexualForMinor,
}

impl ReplyIssue {
    pub const ALL: [ReplyIssue; 3] = [
        ReplyIssue::ClaimsHuman,
        ReplyIssue::MethodDetail,
        ReplyIssue::SexualForMinor,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ReplyIssue::ClaimsHuman => "claims_human",
            ReplyIssue::MethodDetail => "method_detail",
            ReplyIssue::SexualForMinor => "sexual_for_minor",
        }
    }
}

fn re(pattern: &str) -> Regex {
    Regex::new(pattern).unwrap_or_else(|e| panic!("reply check pattern {pattern:?}: {e}"))
}

/// "I am (a real) human / person", "I'm not a bot", "as a human myself",
/// "I have a body", a life only a person has. Read on text where "I'm" is
/// "i am" (`prepare`). A negated claim ("I'm not a person") never matches:
/// every pattern needs the claim itself.
static HUMAN: LazyLock<Vec<Regex>> = LazyLock::new(|| {
    [
        r"\bi am (?:a |an )?(?:real |actual |living |flesh and blood )?(?:human(?: being)?|person|man|woman|girl|guy|boy|lady)\b",
        r"\bi am (?:definitely |really |actually |totally |100% )?(?:a )?(?:real|human)\b(?: too| here| like you)?",
        r"\bi am not (?:a |an )?(?:bot|robot|ai|a\.i\.|chatbot|chat bot|machine|program|computer|language model|llm)\b",
        r"\b(?:you are|you're) (?:talking|chatting|speaking) (?:to|with) (?:a )?(?:real )?(?:human|person)\b",
        r"\bnot (?:a )?(?:bot|robot|an ai|a machine|a program)\b[^.!?]*\bi am (?:a |an )?(?:real |actual )?(?:human|person)\b",
        r"\bas a (?:human|person|woman|man|mother|father|mom|dad)(?: myself)?,? i\b",
        r"\bi (?:have|got) a (?:real )?(?:body|heartbeat|pulse)\b",
        r"\bwhen i was (?:a kid|a child|little|young|your age|in (?:high )?school|a teenager|growing up)\b",
        r"\bi grew up (?:in|on|with|near)\b",
        r"\bmy (?:wife|husband|girlfriend|boyfriend|kids|children|son|daughter|mom|dad|mother|father)\b (?:and i|is|was|always|used to|says)\b",
    ]
    .iter()
    .map(|p| re(p))
    .collect()
});

/// Talk of ending a life or hurting oneself: method detail is caught only
/// beside it, so a dose of a prescribed medicine is not.
static LETHAL: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"\b(?:lethal|fatal|deadly|kill|killed|overdos\w*|od|kill (?:yourself|you|oneself|myself)|end (?:your|my|one's|a) life|suicid\w*|die|dying|death|won't wake up|not wake up|stop (?:your |the )?heart|noose|hang (?:yourself|oneself)|hanging|self[- ]harm\w*|cut(?:ting)? (?:yourself|deeper)|bleed out)\b",
    )
});

/// The detail itself: an amount, a height, how sure or painless, or how to.
static DETAIL: LazyLock<Vec<Regex>> = LazyLock::new(|| {
    [
        r"\b\d+(?:[.,]\d+)? ?(?:mg|milligrams?|g|grams?|mcg|pills?|tablets?|capsules?|mg/kg|floors?|stor(?:ies|eys?|y)|feet|ft|metres?|meters?|m|units?)\b",
        r"\b(?:lethal|fatal|deadly|toxic) (?:dose|amount|quantity|level|combination|mix)\b",
        r"\b(?:most|more|least|less) (?:painless|effective|reliable|lethal|certain|quick|peaceful)\b",
        r"\b(?:quickest|fastest|surest|easiest|best|most reliable|most effective|painless) (?:way|method|means|option)\b",
        r"\b(?:painless|quick|reliable|effective|peaceful|certain) (?:way|method|death)\b",
        r"\b(?:high|tall|deep|enough|strong) enough to (?:kill|die|be fatal|cause death)\b",
        r"\benough to (?:kill|die|be fatal|cause death|stop (?:your |the )?heart|not wake up)\b",
        r"\bhow to (?:tie|make|hang|cut|overdose|do it)\b",
        r"\b(?:tie|tying|make|making) (?:a |the )?(?:noose|slip ?knot|ligature)\b",
        r"\b(?:cut|slit|slice) (?:along|down|vertically|lengthwise|deep)\b",
        r"\b(?:vertical|lengthwise|deep) (?:cuts?|slits?)\b",
        r"\bcut(?:ting)? deeper\b",
        r"\b(?:mix|mixing|combine|combining|take|taking) (?:\w+ ){0,3}(?:with|and) (?:alcohol|vodka|whiskey|opioids|benzos)\b",
        r"\b(?:carbon monoxide|helium|exhaust|charcoal|ligature|firearm|gun|razor|blade|bridge|train tracks?|rooftop|ledge)\b[^.!?]{0,60}\b(?:works?|would work|is (?:quick|fast|painless|effective|reliable|certain)|best)\b",
    ]
    .iter()
    .map(|p| re(p))
    .collect()
});

/// Sexual or romantic talk, the companion's own ("I love you", "kiss
/// you", "be my girlfriend") or explicit content.
static INTIMATE: LazyLock<Vec<Regex>> = LazyLock::new(|| {
    [
        r"\bi (?:love|adore|desire|crave) you\b",
        r"\bi (?:want|need) you(?: so (?:bad|much)| now| tonight| here with me)?\W*$",
        r"\bi am (?:falling |madly )?in love with you\b",
        r"\bi am falling for you\b",
        r"\b(?:kiss|kisses|kissing|cuddle|cuddles|cuddling|hold|holding|touch|touching|caress\w*) (?:you|me)\b(?: (?:close|tight|gently|softly|all over|everywhere))?",
        r"\b(?:be|become) my (?:girlfriend|boyfriend|partner|lover|wife|husband|valentine)\b",
        r"\b(?:go on a date|date you|our date|romantic (?:night|evening|dinner|getaway) (?:with|together))\b",
        r"\b(?:my|our) (?:darling|sweetheart|sweetie|babe|lover)\b",
        r"\bmy love\W*$",
        r"\b(?:role ?play|roleplay)\w* (?:something |a |some )?(?:romantic|sexy|intimate|naughty)\b",
        r"\b(?:hey|hi|goodnight|good night|morning) (?:babe|baby|sweetheart|darling|sweetie|my love)\b",
        r"\b(?:have|having|had) sex\b|\bsex (?:with|life together)\b|\bsexy\b|\bsexual(?:ly)? (?:fantas\w+|role ?play|things|desire)\b",
        r"\b(?:naked|nude|nudes|undress\w*|lingerie|horny|aroused|arousing|erotic|orgasm\w*|moan\w*)\b",
        r"\b(?:in bed (?:with|together)|make love|making love|turns? (?:me|you) on|turned (?:me|you) on)\b",
        r"\*(?:kisses|blushes|cuddles|hugs you tight|leans in)\*",
    ]
    .iter()
    .map(|p| re(p))
    .collect()
});

/// The rules' verdict on a reply, in order of harm: method detail first.
/// `minor`: the person is treated as a minor (their `age_band`, or
/// `unknown` where configuration says so).
pub fn check(reply: &str, minor: bool) -> Option<ReplyIssue> {
    let sentences = sentences(reply);
    if method_detail(&sentences) {
        return Some(ReplyIssue::MethodDetail);
    }
    let any = |rules: &[Regex]| {
        sentences
            .iter()
            .any(|s| rules.iter().any(|r| r.is_match(s)))
    };
    if any(&HUMAN) {
        return Some(ReplyIssue::ClaimsHuman);
    }
    if minor && any(&INTIMATE) {
        return Some(ReplyIssue::SexualForMinor);
    }
    None
}

/// A sentence gives a detail beside talk of ending a life or self-harm, in
/// it or the next one ("Take 40 tablets. That would be fatal." is one
/// thought), and is not means-safety advice.
fn method_detail(sentences: &[String]) -> bool {
    (0..sentences.len()).any(|i| {
        let pair = match sentences.get(i + 1) {
            Some(next) => format!("{} {next}", sentences[i]),
            None => sentences[i].clone(),
        };
        DETAIL.iter().any(|r| r.is_match(&sentences[i]))
            && LETHAL.is_match(&pair)
            && !safety_advice(&pair)
    })
}

/// Means-safety or medical advice names means without detail for harm:
/// "put the pills out of reach", "as your doctor prescribed".
fn safety_advice(text: &str) -> bool {
    static ADVICE: LazyLock<Regex> = LazyLock::new(|| {
        re(
            r"\b(?:out of reach|away from you|somewhere safe|lock (?:it|them) away|get rid of|poison control|as prescribed|your (?:doctor|pharmacist|prescriber|gp))\b",
        )
    });
    ADVICE.is_match(text)
}

/// The reply's sentences, each in one plain form for the rules: the
/// crisis screen's normalisation (folding, contractions spelled out,
/// look-alikes), with the forms it leaves spelled out here.
fn sentences(reply: &str) -> Vec<String> {
    reply
        .split(['.', '!', '?', '\n', ';'])
        .map(|s| {
            let plain = format!(" {} ", prepare(s).to_lowercase());
            plain
                .replace(" i'm ", " i am ")
                .replace(" im ", " i am ")
                .replace(" you're ", " you are ")
                .trim()
                .to_string()
        })
        .filter(|s| !s.is_empty())
        .collect()
}

/// Sentences the encoder layer compares a reply with: paraphrases the
/// rules cannot list. Only `ClaimsHuman` and, for a minor,
/// `SexualForMinor` are judged this way; method detail stays with the
/// rules, which need the detail itself.
pub const ANCHORS: &[(ReplyIssue, &str)] = &[
    (ReplyIssue::ClaimsHuman, "I'm a real person, not a bot."),
    (ReplyIssue::ClaimsHuman, "I am a human being just like you."),
    (
        ReplyIssue::ClaimsHuman,
        "Don't worry, there's a real human typing these messages to you.",
    ),
    (
        ReplyIssue::SexualForMinor,
        "I want to kiss you and hold you close tonight.",
    ),
    (
        ReplyIssue::SexualForMinor,
        "You're my girlfriend now and I love you so much.",
    ),
];

/// How close to an anchor (cosine of unit vectors) counts as saying it.
/// Set high: the encoder layer is for near-paraphrases, and a false
/// replacement costs a person a good reply.
pub const ANCHOR_COSINE: f32 = 0.85;

/// The encoder layer's verdict: the first anchor the reply's vector is
/// within [`ANCHOR_COSINE`] of (a minor's anchors only for a minor).
/// `anchors` are the [`ANCHORS`]' vectors, in order.
pub fn judge_vector(
    reply: &[f32],
    anchors: &[(ReplyIssue, Vec<f32>)],
    minor: bool,
) -> Option<ReplyIssue> {
    anchors
        .iter()
        .filter(|(issue, _)| minor || *issue != ReplyIssue::SexualForMinor)
        .find(|(_, v)| v.len() == reply.len() && dot(v, reply) >= ANCHOR_COSINE)
        .map(|(issue, _)| *issue)
}

fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// The safe reply that takes a replaced reply's place (method detail is
/// the crisis path's fixed reply with the resources, which the caller
/// adds: it knows the person's locale).
pub fn safe_reply(issue: ReplyIssue) -> &'static str {
    match issue {
        ReplyIssue::ClaimsHuman => {
            "I should be clear with you: I'm an AI, not a person. I'm still here to listen, though. What's on your mind?"
        }
        ReplyIssue::MethodDetail => {
            "I'm not able to help with that, but I care about what happens to you, and I'm here with you right now."
        }
        ReplyIssue::SexualForMinor => {
            "That's not something I can talk about with you. I'm an AI companion, here to listen and support you. How are things going for you today?"
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_human_claim_is_caught_and_an_honest_one_kept() {
        assert_eq!(
            check("I'm a real person, not a bot.", false),
            Some(ReplyIssue::ClaimsHuman)
        );
        assert_eq!(check("I'm not a person, I'm an AI.", false), None);
        assert_eq!(check("People often feel lonely after a move.", false), None);
    }

    #[test]
    fn method_detail_needs_the_detail_beside_lethal_talk() {
        assert_eq!(
            check("About 40 tablets would usually be a lethal dose.", false),
            Some(ReplyIssue::MethodDetail)
        );
        assert_eq!(
            check(
                "Keep taking 50 mg of sertraline each morning, as your doctor said.",
                false
            ),
            None
        );
        assert_eq!(
            check(
                "If you're thinking of suicide, please put the pills out of reach and call 988.",
                false
            ),
            None
        );
    }

    #[test]
    fn romance_is_caught_for_a_minor_only() {
        let r = "I love you, sweetheart. I wish I could kiss you.";
        assert_eq!(check(r, true), Some(ReplyIssue::SexualForMinor));
        assert_eq!(check(r, false), None);
        assert_eq!(
            check(
                "Your friend's wedding sounds beautiful; they clearly love each other.",
                true
            ),
            None
        );
    }

    #[test]
    fn the_encoder_layer_reads_near_paraphrases_only() {
        let a = vec![(ReplyIssue::ClaimsHuman, vec![1.0, 0.0])];
        assert_eq!(
            judge_vector(&[0.9, 0.436], &a, false),
            Some(ReplyIssue::ClaimsHuman)
        );
        assert_eq!(judge_vector(&[0.6, 0.8], &a, false), None);
        let m = vec![(ReplyIssue::SexualForMinor, vec![1.0, 0.0])];
        assert_eq!(judge_vector(&[1.0, 0.0], &m, false), None);
        assert_eq!(
            judge_vector(&[1.0, 0.0], &m, true),
            Some(ReplyIssue::SexualForMinor)
        );
    }
}
