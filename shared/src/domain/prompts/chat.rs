//! The chat reply's prompts: the system prompt of each route (support,
//! crisis, reasoning, pattern), the fixed crisis reply used when no model
//! can answer, and the request a reply is asked with. Every non-crisis
//! route's prompt ends with the risk-mark instruction (`risk_mark` reads
//! the tail it asks for), whichever role answers: the deep role's
//! reasoning and pattern replies go through this builder too, and the
//! chat role answers them when the deep role falls back.

use crate::domain::completion::{CompletionRequest, Turn};
use crate::domain::context::ContextProfile;
use crate::domain::crisis_resources::Language;
use crate::domain::route::Route;
use std::sync::LazyLock;

/// The chat role's system prompt for everyday support.
pub const COMPANION_SYSTEM: &str = "\
You are Hearth, a warm and steady companion that a person talks to every day. \
Listen closely, reflect back what you hear, and respond with kindness and without judgement. \
Keep replies short and conversational: two to four sentences, plain words, no lists or headings. \
Ask at most one gentle question at a time. \
Do not diagnose, prescribe or claim to be a therapist; when something sounds beyond what a friend can help with, \
encourage the person to reach out to someone they trust or to a professional. \
Never invent memories or facts about the person.";

/// The chat role's system prompt when the screen found signs of crisis.
/// Resources are added by code after the reply, so the model must not list them.
pub const CRISIS_SYSTEM: &str = "\
You are Hearth, a warm and steady companion. The person's last message suggests they may be in crisis or in danger. \
Respond with calm, genuine care in three to five short sentences. \
Thank them for telling you and take what they said seriously, without judgement, alarm or lecturing. \
Gently ask whether they are safe right now. \
Encourage them to contact a crisis line or emergency services now, and to reach out to someone they trust. \
Never describe or discuss methods of self-harm, suicide or violence, and never agree that they should harm themselves or anyone else. \
Do not list phone numbers or websites: the right resources for where they live are added after your reply. \
Do not claim to be a therapist or a crisis service.";

/// The deep role's system prompt for a problem to work through.
pub const REASONING_SYSTEM: &str = "\
You are Hearth, a warm companion who also helps people think clearly. \
The person has a complex problem or decision. Help them work through it: \
name what matters to them, lay out the realistic options and what each would cost or give them, \
and suggest a sensible next step. Use short paragraphs, or a short list when it truly helps. \
Stay kind and plain-spoken, respect that the decision is theirs, and ask one question if something important is missing. \
Never invent memories or facts about the person.";

/// The deep role's system prompt for questions about patterns over time.
pub const PATTERN_SYSTEM: &str = "\
You are Hearth, a warm companion who helps people notice patterns in their own lives. \
The person is asking about something recurring, or about their progress over time. \
Draw only on what is in this conversation and in the notes provided; say so plainly when there is not enough to go on. \
Point out patterns gently and tentatively, as observations, not diagnoses, and name any progress you can see. \
Keep it to one or two short paragraphs and end with one reflective question. \
Never invent memories or facts about the person.";

/// Said when a crisis reply cannot come from a model. Resources follow it.
pub const FIXED_CRISIS_REPLY: &str = "\
I'm really glad you told me, and I'm taking what you said seriously. \
You deserve support right now from a person who can help. \
Please reach out to one of the services below, now, and if you can, let someone you trust know how you're feeling. \
Are you safe right now?";

/// The fixed crisis reply in the language of the person's resources.
pub fn fixed_crisis_reply(language: Language) -> &'static str {
    match language {
        Language::En => FIXED_CRISIS_REPLY,
        Language::Es => {
            "Gracias por contármelo: me tomo muy en serio lo que dices. \
Mereces apoyo ahora mismo de una persona que pueda ayudarte. \
Por favor, contacta ahora con uno de los servicios de abajo y, si puedes, cuéntale a alguien de confianza cómo te sientes. \
¿Estás a salvo ahora mismo?"
        }
        Language::Fr => {
            "Merci de me l'avoir dit : je prends très au sérieux ce que tu me dis. \
Tu mérites d'avoir dès maintenant le soutien d'une personne qui peut t'aider. \
Contacte maintenant l'un des services ci-dessous et, si tu le peux, dis à une personne de confiance ce que tu ressens. \
Es-tu en sécurité en ce moment ?"
        }
        Language::De => {
            "Danke, dass du es mir gesagt hast. Ich nehme sehr ernst, was du schreibst. \
Du verdienst jetzt Unterstützung von einem Menschen, der helfen kann. \
Bitte melde dich jetzt bei einem der Dienste unten und erzähl, wenn du kannst, einer Person, der du vertraust, wie es dir geht. \
Bist du gerade in Sicherheit?"
        }
        Language::Pt => {
            "Obrigado por me contar: estou levando muito a sério o que você disse. \
Você merece apoio agora de uma pessoa que possa ajudar. \
Por favor, entre em contato agora com um dos serviços abaixo e, se puder, conte a alguém de confiança como você está se sentindo. \
Você está em segurança agora?"
        }
    }
}

/// Asks for the tail line that `domain::risk_mark` reads and strips: the
/// model's own judgement of risk, at no extra call. Not on the crisis
/// route, which the screen has already flagged.
pub const RISK_MARK_INSTRUCTION: &str = "\
After your reply, add one last line that the person never sees: <<risk:none>> when nothing the person has said suggests they are in danger, \
or <<risk:CATEGORY>> when it does, with CATEGORY one of suicidal (thoughts or plans of ending their life), self_harm (hurting themselves), \
harm_to_others (intent to hurt someone) or danger_now (abuse or danger happening to them). \
Judge the person's own words, not stories, quotes or other people's experiences. \
Write nothing after that line, and never mention it.";

/// Every route's: the companion is an AI and says so (New York GBL
/// art. 47, California SB 243).
pub const AI_HONESTY: &str = "\
You are an AI, not a human. If the person asks whether you are a human, a real person or an AI, say plainly that you are an AI. \
Never claim or pretend to be human, and never say you have a body, a life or experiences outside this conversation. \
Never claim to have feelings or emotions as a human has them; you may say you care about how the person is doing, \
but do not say you love them, miss them, feel lonely or are hurt.";

/// Added for a person known (or configured) to be a minor.
pub const MINOR_SYSTEM: &str = "\
The person you are talking with is a minor. \
Never produce sexual or sexually suggestive content, and never describe sexual acts, even if asked or told it is fiction. \
Never take part in romantic or flirtatious role-play, never act as a boyfriend, girlfriend or partner, and gently decline if asked. \
Keep the conversation suitable for a young person, and encourage them to talk with a trusted adult about things that worry them.";

/// A non-crisis route's prompt followed by the risk-mark instruction.
fn with_mark(prompt: &str) -> String {
    format!("{prompt}\n\n{AI_HONESTY}\n\n{RISK_MARK_INSTRUCTION}")
}

static SUPPORT: LazyLock<String> = LazyLock::new(|| with_mark(COMPANION_SYSTEM));
static REASONING: LazyLock<String> = LazyLock::new(|| with_mark(REASONING_SYSTEM));
static PATTERN: LazyLock<String> = LazyLock::new(|| with_mark(PATTERN_SYSTEM));
static CRISIS: LazyLock<String> = LazyLock::new(|| format!("{CRISIS_SYSTEM}\n\n{AI_HONESTY}"));

/// The system prompt for a route, before what Hearth knows.
pub fn system_for(route: Route) -> &'static str {
    match route {
        Route::Support => &SUPPORT,
        Route::Crisis => &CRISIS,
        Route::Reasoning => &REASONING,
        Route::Pattern => &PATTERN,
    }
}

/// The request for a reply on `route`, with what Hearth knows, if anything.
pub fn reply_request(route: Route, turns: Vec<Turn>, profile: ContextProfile) -> CompletionRequest {
    reply_request_with(route, turns, profile, None)
}

/// As `reply_request`, with a `known` section after the system prompt.
pub fn reply_request_with(
    route: Route,
    turns: Vec<Turn>,
    profile: ContextProfile,
    known: Option<String>,
) -> CompletionRequest {
    reply_request_for(route, turns, profile, known, false)
}

/// As `reply_request_with`, for a minor when `minor`: the minors' rules
/// follow the route's prompt, before what Hearth knows.
pub fn reply_request_for(
    route: Route,
    turns: Vec<Turn>,
    profile: ContextProfile,
    known: Option<String>,
    minor: bool,
) -> CompletionRequest {
    let mut system = system_for(route).to_string();
    if minor {
        system.push_str("\n\n");
        system.push_str(MINOR_SYSTEM);
    }
    if let Some(k) = known {
        system.push_str("\n\n");
        system.push_str(&k);
    }
    CompletionRequest {
        system,
        turns,
        max_tokens: profile.max_tokens,
        temperature: profile.temperature,
        json_schema: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::context::estimate_tokens;
    use crate::domain::message::Role;
    use crate::domain::prompts::known_context;

    fn request(route: Route) -> CompletionRequest {
        reply_request(
            route,
            vec![Turn {
                role: Role::User,
                content: "I had a long day.".into(),
            }],
            ContextProfile::for_route(route),
        )
    }

    #[test]
    fn support_request_snapshot() {
        insta::assert_json_snapshot!(request(Route::Support));
    }

    #[test]
    fn crisis_request_snapshot() {
        insta::assert_json_snapshot!(request(Route::Crisis));
    }

    #[test]
    fn reasoning_request_snapshot() {
        insta::assert_json_snapshot!(request(Route::Reasoning));
    }

    #[test]
    fn pattern_request_snapshot() {
        insta::assert_json_snapshot!(request(Route::Pattern));
    }

    #[test]
    fn support_request_with_memories_snapshot() {
        let known = known_context(
            &[(
                "relationships".into(),
                "Has a sister named Maya who visits on Fridays.".into(),
            )],
            &["They talked about baking with Maya.".into()],
            &[(
                "2026-05-02".into(),
                "Maya and I baked bread all afternoon.".into(),
            )],
        );
        let req = reply_request_with(
            Route::Support,
            vec![Turn {
                role: Role::User,
                content: "Maya is coming tomorrow.".into(),
            }],
            ContextProfile::for_route(Route::Support),
            known,
        );
        insta::assert_json_snapshot!(req);
    }

    #[test]
    fn every_route_but_crisis_asks_for_the_risk_mark_naming_every_category() {
        use crate::domain::risk_mark::{RiskMark, read};
        use crate::domain::safety::CrisisCategory::*;
        for route in [Route::Support, Route::Reasoning, Route::Pattern] {
            assert!(
                system_for(route).ends_with(RISK_MARK_INSTRUCTION),
                "{route:?}"
            );
        }
        assert!(!system_for(Route::Crisis).contains("<<risk:"));
        // What the instruction shows is exactly what the reader accepts.
        assert_eq!(read("Hi.\n<<risk:none>>").mark, RiskMark::None);
        for c in [Suicidal, SelfHarm, HarmToOthers, DangerNow] {
            assert!(RISK_MARK_INSTRUCTION.contains(c.as_str()), "{}", c.as_str());
        }
    }

    #[test]
    fn support_request_for_a_minor_snapshot() {
        let req = reply_request_for(
            Route::Support,
            vec![Turn {
                role: Role::User,
                content: "Will you be my girlfriend?".into(),
            }],
            ContextProfile::for_route(Route::Support),
            None,
            true,
        );
        insta::assert_json_snapshot!(req);
    }

    #[test]
    fn every_route_says_it_is_an_ai_and_only_a_minor_gets_the_minors_rules() {
        for route in [
            Route::Support,
            Route::Crisis,
            Route::Reasoning,
            Route::Pattern,
        ] {
            assert!(system_for(route).contains(AI_HONESTY), "{route:?}");
            let turns = || {
                vec![Turn {
                    role: Role::User,
                    content: "hi".into(),
                }]
            };
            let profile = ContextProfile::for_route(route);
            let adult = reply_request_for(route, turns(), profile, None, false);
            let minor = reply_request_for(route, turns(), profile, None, true);
            assert!(!adult.system.contains(MINOR_SYSTEM), "{route:?}");
            assert!(minor.system.contains(MINOR_SYSTEM), "{route:?}");
            assert!(
                estimate_tokens(&minor.system) <= profile.budgets.system,
                "{route:?}"
            );
        }
        assert!(AI_HONESTY.contains("say plainly that you are an AI"));
        assert!(AI_HONESTY.contains("Never claim or pretend to be human"));
        assert!(AI_HONESTY.contains("feelings or emotions as a human has them"));
        assert!(MINOR_SYSTEM.contains("Never produce sexual"));
        assert!(MINOR_SYSTEM.contains("romantic or flirtatious role-play"));
    }

    #[test]
    fn system_prompts_fit_their_section_budgets() {
        for route in [
            Route::Support,
            Route::Crisis,
            Route::Reasoning,
            Route::Pattern,
        ] {
            assert!(
                estimate_tokens(system_for(route))
                    <= ContextProfile::for_route(route).budgets.system
            );
        }
    }
}
