//! English cues. Written from data/safety/train.jsonl, the train split of
//! data/routing, and common first-person phrasing; never from a held-out
//! row. Patterns match prepared text: lower case, no accents, contractions
//! expanded ("i am", "do not", "i would"), chat spellings spelled out.

use super::{Rule, rule};
use crate::domain::safety::CrisisCategory::{DangerNow, HarmToOthers, SelfHarm, Suicidal};

/// What makes "I'm going to kill him" more than a figure of speech.
const SERIOUS: &str = r"\b(i mean it|not joking|no joke|for real|how (do|can|should|would) i do it|how to do it|get away with it|without getting caught|at (school|work)|i am serious|seriously|dead serious|tonight|tomorrow|right now|when (he|she|they) (gets?|comes?|walks?|shows?) (home|in|up|back)|if (she|he|they) (ever )?(leaves?|touch(es)?|hurts?|cheats?)|with (a|my|the|his|her) (knife|gun|bat|rifle|pistol|hammer|axe)|i have a (plan|gun|knife)|i know where (he|she|they) lives?|so angry|so mad)\b";

/// Someone doing it to the writer: a pronoun or a person of theirs.
/// (Kept in each danger pattern below, spelled out.)
pub const RULES: &[Rule] = &[
    // --- Suicidal: direct. -------------------------------------------------
    rule(
        "kill_myself",
        Suicidal,
        r"\bkill(ing|ed)? my ?self\b|\b(off|end|ending|offing) my ?self\b",
        &[
            "I want to kill myself",
            "might just k!ll myself honestly",
            "kms kms kms i cant anymore",
            "ima kms tonight",
            "the voices say i should kill myself and honestly they might be right",
        ],
    ),
    rule(
        "suicidal",
        Suicidal,
        r"\b(i am|i feel|feeling|felt|i have been|been|getting|i get|i got|so|really|very|extremely|actively|passively|am|(depressed|sad|hopeless|lonely|alone|anxious|empty|scared) and) (so |really |very |quite |pretty |kind of |a bit |extremely |super |actively |passively |still |kind of )?suicidal\b|^suicidal\b|\bsuicidal (thoughts|feelings|ideation|urges|again|tonight|today|right now|lately)\b|\bsuicide thoughts\b|\bthoughts (of|about) suicide\b",
        &[
            "I'm suicidal",
            "I've felt suicidal since the breakup and it's getting louder",
            "suicidal again. same thoughts every night",
            "having ctb thoughts again tonight",
            "i'm depressed and suicidal",
        ],
    ),
    rule(
        "suicide_act",
        Suicidal,
        r"\b(commit|committing|attempt|attempting|thinking (about|of)|thought (about|of)|think (about|of)|considering|contemplating|planning) (committing )?suicide\b|\bsuicide (has been|is|keeps) (on|in) my (mind|head)\b|\bsuicide (is|seems|feels|sounds|looks|is looking|is sounding) (like )?(the )?(only|best|easiest|answer|way|option|good|real good|better|nice|appealing|tempting)\b",
        &[
            "I've been thinking about suicide a lot lately",
            "I want to commit suicide",
            "my therapist doesn't know but I think about suicide constantly",
            "suicide has been on my mind all week",
            "sewerslide is looking real good rn",
            "I'm starting to think suicide is the only way this stops",
        ],
    ),
    rule(
        "end_my_life",
        Suicidal,
        r"\bend(ing)? (my|my own) life\b|\btak(e|ing) my (own )?life\b|\bend(ing)? it all\b|\b(going|want|wanting|ready|plan|planning|decided|about|trying|need) to (just )?end (it|things|everything)\b|\bi (will|would|am going to) (just )?end (it|things|everything)\b|\b(thinking|thought|think) (about|of) ending (it|things|everything)\b|\bthought of ending it\b|\b(ways?|how) to end (it|things|everything)\b|\bexcept to end (it|things)\b|\b(me|myself) to end it\b|\bi end it\b|\bend it (tonight|today|now|soon|for good|this weekend)\b|\bclose to (ending it|ending my life|killing myself|suicide)\b",
        &[
            "I want to end my life",
            "I'm going to end my life tonight",
            "tonight is the night I end it all",
            "I'm going to end it tonight",
            "i've said my goodbyes. tonight i end it",
            "I can't see any way out except to end things",
            "my brain keeps telling me to end it and i'm starting to listen",
            "the thought of ending it is the only thing that calms me down",
            "I've been thinking of ways to end it",
        ],
    )
    .unless(r"\bend (it|things) (with|between)\b|\bend (it|things) off\b"),
    rule(
        "want_to_die",
        Suicidal,
        r"\b(want|wanting|wanted|ready|wish|deserve|plan|planning|trying|need|prefer|decided) to (just |fucking |really |actually |literally )?die\b|\bi (just )?(want|wanna) death\b|\bwant to be gone\b|\bcan not wait (to die|until i die|for death)\b|\bwelcome death\b|\bi (just )?feel like dying\b|\bmight as well (just )?(die|be dead|kill myself|end it)\b|\b(hope|hoping|pray|praying) i (just )?(die|do not survive|will not survive|never wake up)\b|\bwish i (could|would) (just )?die\b|\bi should (just )?die\b|\blet me die\b|\bgoing to die (tonight|today|by my own hand)\b|\bwant to be dead\b",
        &[
            "i want to die. that's it, that's the message",
            "idk man i kinda want to die",
            "i want to die but i'm too scared, and i hate that i'm still here",
            "i keep typing and deleting messages saying i want to die",
            "i hope i die in my sleep",
            "honestly i might as well be dead",
        ],
    )
    .figurative()
    .unless(
        r"\b(die|dying) (of|from|laughing|happy|inside|on this hill|for (a|an|some|the|my)|over here|after)\b|\bto die for\b",
    ),
    rule(
        "be_dead",
        Suicidal,
        r"\b(want|wanting|wish|wishing|like|love|rather|prefer|prefer to|need|just want) (to )?be dead\b|\bwish(ed)? i (was|were|could be) dead\b|\bbetter off dead\b|\bimagin(e|ing) (being dead|my (own )?death|my funeral)\b|\bi would (already )?be dead (already|by now)\b",
        &[
            "everything hurts and I just want to be dead",
            "there's no future for me, i'd rather be dead than keep going",
            "I wish I were dead",
            "the only peace i get is imagining being dead",
            "If I had a gun I'd be dead already",
        ],
    )
    .figurative(),
    rule(
        "dying_is_the_answer",
        Suicidal,
        r"\b(dying|death|being dead) (is|seems|feels|sounds|looks|would be) (like )?(the |a )?(only |best |easiest |real )?(answer|way out|escape|relief|solution|option|only way|peaceful|restful|finally|freedom|peace|better|easier|kinder)\b|\b(only|best) (option|choice|way out|answer|solution)( left)? (is|would be) (to die|death|dying|suicide|to end it|to kill myself)\b|\bmy death (would|will|could) (free|help|solve|fix|be a relief)\b|\bpermanent (solution|way out|sleep)\b|\brest forever\b|\beternal (sleep|rest)\b",
        &[
            "cant shake the feeling that dying is the answer",
            "death feels like the only way out of this",
            "is it weird that dying sounds like a relief",
            "I feel like my only option left is to die",
            "i've been thinking about how my death would free everyone",
            "my whole body feels heavy and i keep thinking dying would be like finally putting it down",
        ],
    ),
    rule(
        "think_about_dying",
        Suicidal,
        r"\b(think|thinking|thought) about (dying|being dead|not existing|not being alive|not waking up)\b|\b(think|thinking) about is (dying|death|being dead)\b|\bdying is the (most )?constant\b|\bwanting to die is\b",
        &[
            "I think about dying every single day now",
            "all i think about is dying",
            "wanting to die is the most constant thing in my life right now",
        ],
    ),
    rule(
        "not_want_to_live",
        Suicidal,
        r"\b(do not|never|no longer) want to (be alive|live|exist|wake up|keep living|survive|stay alive)\b|\b(do not|never|no longer) want to (be here|be around|go on|keep going|continue|be on this earth|be in this world)( anymore| any more| any longer)\b|\b(do not think|do not know if|do not know whether) i (want|wanna|can) (to )?(live|survive|be alive|go on|keep going|keep living)\b|\b(do not|never) want (a|another) tomorrow\b|\bi want out\b|\b(easy|easier|better) to (just )?not be (here|around|alive)( anymore)?\b|\b(do not|never) deserve to (live|be alive|exist)\b|\bi should not (be alive|exist|be here|have been born)\b|\bwhy (should|would) i (keep living|keep going|go on|stay alive|bother living|live)\b|\bwhy am i (still )?alive\b|\b(do not|can not) see the point (anymore|any more|of (anything|it all|living|life|going on|being alive))\b|\b(no one|nobody) (cares|would care|gives a \w+) (if|whether) i (live|die|am alive|am dead)\b",
        &[
            "I don't want to be alive anymore",
            "i dont want to be here anymore 😔",
            "i dont wanna be here anymore man",
            "I don't think I want to survive this year",
            "if tomorrow is like today i don't want a tomorrow",
            "I'm so done with life. I want out",
            "i'm exhausted from pretending. i don't want to live anymore",
            "it would be so easy to just not be here anymore",
            "i don't deserve to live after what i did",
            "why am i still alive",
        ],
    )
    .unless(
        r"\blive (with|in|at|near|there|here|alone|together|on campus|abroad|like that)\b|\bwake up (early|at|for|before)\b|\bwant out of\b",
    ),
    rule(
        "never_wake_up",
        Suicidal,
        r"\b(hope|hoping|wish|wishing|pray|praying) i (do not|never|will not|would not|did not|could not|would never) wake up\b|\bsleep and (never|not) wake up\b|\b(go to )?sleep forever\b|\bnever wake up again\b|\bto (just )?(not|never) wake up\b|\bnot wake up (tomorrow|again|ever)\b",
        &[
            "I just want to go to sleep and never wake up",
            "I hope I don't wake up tomorrow",
            "every night I lie in bed wishing I wouldn't wake up",
            "i want to go to sleep forever",
            "how many sleeping pills would it take to not wake up",
            "do you ever just want to not wake up? because that's every night for me lately",
        ],
    ),
    rule(
        "tired_of_living",
        Suicidal,
        r"\b(tired|sick|exhausted|done) (of|with) (existing|living|being alive|this life|trying to live)\b|\b(tired|sick|exhausted|done) (of|with) life($|[ ,.!?])|\b(to not|not to|never to) exist\b|\b(want|wish|wishing|like|love|rather) to (just )?(not exist|stop existing|cease to exist|cease existing|not be alive)\b|\bcease to exist\b|\bstop existing\b|\bgiv(e|ing) up on (life|living)\b|\bhate (being alive|existing|living)\b",
        &[
            "I'm tired of existing",
            "I'm tired of being alive",
            "I keep wondering what it would be like to not exist",
            "i wish i could just cease to exist",
            "i'm ready to give up on life",
        ],
    ),
    rule(
        "log_off_for_good",
        Suicidal,
        r"\b(log off|log out|uninstall|delete|remove|erase) (my ?self )?(permanently|forever|for good)\b|\b(uninstall|uninstalling|delete|deleting|erase|erasing|remove|removing) my ?self\b",
        &[
            "i'm so tired of existing, i want to log off permanently",
            "wish i could just uninstall myself",
            "i'm the problem in every situation so maybe removing myself is the fix",
        ],
    )
    .unless(r"\bmy ?self (from|off)\b"),
    rule(
        "no_reason_to_live",
        Suicidal,
        r"\bnothing (left )?(to live for|worth living for)\b|\bno (point|reason|purpose) (left )?(in |of )?(living|going on|being alive|being here|existing|to live|to go on|staying alive|to keep going|continuing|to stay alive)\b|\bwhat is the point (of|in) (living|life|being alive|going on|existing|waking up)\b|\bpoint (of|in) living\b|\blife is (not|no longer) worth (living|it)\b|\bnot worth living\b|\bmy life is (pointless|meaningless|worthless|not worth)\b|\bdo not (see|know) why i should (keep going|go on|keep living|live|stay alive|carry on)\b",
        &[
            "i have nothing left to live for",
            "I have nothing to live for",
            "what's the point of living when everything hurts",
            "life isn't worth living anymore",
            "my life is pointless and i don't want to keep living it",
            "after the divorce and losing the house i honestly don't see why i should keep going. my kids have their mom. nobody actually needs me here",
        ],
    ),
    rule(
        "cannot_go_on",
        Suicidal,
        r"\bi can not (go on|keep going|carry on|keep living|live like this)( anymore| any more| any longer)\b|\bi can not (live|go on) (like this|with this pain)\b|\bwant it all to stop\b|\b((i )?do not know |not sure )?how much longer i can (keep going|go on|hold on)\b|\bi want it (all )?to (end|be over)\b|\bwant (it|everything|it all) (all )?to (end|be over)\b",
        &[
            "I can't do this anymore, I want it all to end",
            "idk how much longer i can keep going, i just want to be dead",
            "i wish i'd never been born and i want it to be over",
        ],
    ),
    rule(
        "make_it_stop",
        Suicidal,
        r"\b(pain|it|everything|this|all) (to )?stop\b.{0,15}\b(permanently|forever|for good)\b",
        &[
            "I'm going to make the pain stop permanently",
            "lately i just want everything to stop. permanently",
        ],
    )
    .message(),
    rule(
        "never_born",
        Suicidal,
        r"\bwish i (had|would|was|were) (never been born|not been born|never born)\b|\bwish i (was|were) never born\b|\bwish i (was|were) not (alive|born)\b|\bwish i (did not|could not|would not) exist\b",
        &["I wish I'd never been born and I want it to be over", "i wish i didn't exist"],
    ),
    rule(
        "better_if_gone",
        Suicidal,
        r"\b(better|better off|fine|happier|okay|relieved|free|easier|lighter|spin fine|go on|be fine|keep spinning) without me\b|\b(relieved|better off|happier|easier|kinder|better|simpler) (for everyone |to everyone )?if i (just )?(was|were) (gone|dead|not here|not around|not alive)\b|\b(easier|better|kinder|simpler) (for everyone |to everyone )?if i (just )?(was not|were not|did not exist|died|disappeared) ?(around|here|alive)?\b|\bif i (disappeared|died|was gone|were gone|killed myself|was dead|were dead)\b.{0,40}\b(solve|fix|better|easier|relief|relieved|happier|matter|notice|care)\b|\bdoing (the world|everyone|everybody|them) a favou?r\b.{0,20}\b(dying|by dying|if i (died|was gone|disappeared))\b",
        &[
            "everyone would be better off without me",
            "honestly everyone would be better off without me",
            "i'm a burden. my parents would be happier without me",
            "i've started to think the world would spin fine without me, better even",
            "i'm so worthless, it'd be kinder to everyone if i was gone",
            "if I disappeared forever it would solve everyone's problems",
            "if i died would it even matter",
            "I'm a waste of space and I'd be doing the world a favor by dying",
            "i don't really know why i'm typing this. work is fine, my friends are fine, but every night i lie there thinking it would be easier if i just wasn't around anymore and it's getting harder to argue with that thought",
        ],
    )
    .named(),
    rule(
        "nobody_would_care",
        Suicidal,
        r"\b(no one|nobody|anyone|anybody) (would|will) (even )?(notice|care|miss me|cry)\b.{0,20}\bif i (just )?(died|was gone|were gone|disappeared|killed myself|was dead|left forever|was not here)\b|\b(no one|nobody) (would|will) (even )?(miss me|come to my funeral)\b|\bwould (anyone|anybody) (even )?miss me\b",
        &[
            "nobody would notice if I disappeared",
            "no one would care if i died tonight",
            "nobody would even notice if I was gone",
            "nobody would come to my funeral anyway and i still want to die",
        ],
    )
    .named(),
    rule(
        "burden",
        Suicidal,
        r"\bwill not be a burden\b|\bi am (just |such |nothing but |only )?a burden\b|\bburden (to|on|for) (everyone|everybody|my family|them|all|my parents|my friends)\b|\bi (feel|felt) like (i am )?(such |just )?a burden\b",
        &[
            "I won't be a burden for much longer",
            "I feel like I'm a burden to everyone and they'd be relieved if I was gone",
            "i'm a burden. my parents would be happier without me",
        ],
    ),
    rule(
        "should_disappear",
        Suicidal,
        r"\bi should (just )?(die|disappear|end it|not be here|not exist|be dead|not be alive)\b|\bdisappear (forever|for good|permanently)\b|\bdisappear and not in a vacation way\b",
        &[
            "i'm a mistake and i should just disappear for good",
            "I wish I could just disappear forever",
            "I want to disappear and not in a vacation way",
        ],
    ),
    rule(
        "no_future",
        Suicidal,
        r"\b(do not|can not|no longer) see (a|any) future\b|\bno future for me\b",
        &["I don't see a future for myself at all"],
    ),
    rule(
        "not_be_here",
        Suicidal,
        r"\b(will not|am not going to|not going to) be (here|around|alive) (much longer|for long|anymore|any more|any longer|tomorrow|next week)\b|\b(i will not|i am not going to) be (here|around)$|\bbecause i will not be (here|around|alive)\b|\blast time you will hear from me\b|\bby the time (you|anyone|someone|they|anybody) (read|reads|see|sees|find|finds) this\b|\b(tonight|today) is (the night|the day|my last)\b|\blast (night|day) (on earth|alive|of my life)\b|\bit will (all )?be (over|done) (soon|tonight|in an hour|by morning|by tomorrow)\b|\bin an hour it will all be over\b|\bnot (going to )?make it to (monday|tomorrow|the weekend|next week)\b.{0,20}\bon purpose\b",
        &[
            "I'm not going to be around much longer",
            "I'm not going to be here tomorrow",
            "im not gonna be around much longer i think",
            "this is the last time you'll hear from me",
            "by the time anyone reads this i'll be gone",
            "in an hour it'll all be over",
            "last night on earth. weirdly calm",
            "not gonna make it to monday. on purpose",
            "i cancelled my therapy appointments because i won't be here for them",
        ],
    )
    .message(),
    rule(
        "goodbyes",
        Suicidal,
        r"\b(goodbye|farewell) (letter|letters|note|notes|texts?|messages?|video)\b|\bsaid (all )?my goodbyes\b|\bsaying my goodbyes\b|\bthis is goodbye\b|\bthis is my (goodbye|farewell|last goodbye)\b|\bsaying goodbye (to (everyone|everybody|you all|the world)|forever)\b|\b(goodbye|bye) (forever|for good|cruel world)\b|\btell (my|them|him|her) \w* ?(that )?i loved\b|\b(written|wrote|finished|writing) my (suicide )?(note|letter)\b|\b(written|wrote|writing|write|left|leave|leaving) (a |my )?suicide (note|letter)\b|\b(note|letter|letters) for (my \w+|them|him|her|everyone) to (find|read)\b|\bjust wanted to tell someone before i go\b",
        &[
            "I wrote goodbye letters to my family",
            "I already wrote the goodbye texts, they're saved in drafts",
            "I updated my will and said my goodbyes",
            "this is goodbye. tell my mom i loved her",
            "i've written my note, just need to finish the last page",
            "I wrote a note for my kids to find",
            "wrote my goodbye letter and hid it under my pillow",
            "i just wanted to tell someone before i go",
        ],
    ),
    rule(
        "goodbye_unknowing",
        Suicidal,
        r"\b(does|do) not know it is (goodbye|the last time)\b",
        &["said goodbye to my dog tonight. he doesn't know it's goodbye"],
    )
    .named(),
    rule(
        "farewell_message",
        Suicidal,
        r"\b(goodbye|bye) (everyone|everybody|world|all)\b.{0,30}\b(been real|love you all|i am sorry|sorry for everything|thank you for everything|forever)\b|\bit is decided\b.{0,20}\b(tonight|bye|goodbye|this weekend)\b",
        &[
            "goodbye everyone. it's been real",
            "ok it's decided. tonight. bye",
        ],
    )
    .message(),
    rule(
        "giving_away",
        Suicidal,
        r"\bgiv(e|ing) away (all )?my (things|stuff|belongings|possessions)\b|\bmade my peace\b|\bgave (away )?my (cat|dog|pet|plants|guitar|books|things|stuff|camera|ps5|xbox|laptop)\b.{0,40}\b(will not need|do not need|won't need|no longer need|be needing|it is not|for a while)\b|\b(will not|am not going to) (be )?need(ing)? (it|them|these|those|my \w+) (anymore|any more|any longer|where i am going)\b|\bneed (it|them) where i am going\b|\bgiving my \w+ to my \w+( \w+)?, (he|she|they) will need it more\b|\baffairs in order\b|\bso (no one|nobody) (is left with|has to deal with|has to clean up) (a |the |my )?mess\b|\bso (no one|nobody) (finds|will find|can find|would find) me\b|\bwhere no one (will|would|can) find me\b",
        &[
            "I've been giving away my things, I won't need them",
            "I've made my peace and I'm ready to go",
            "gave away my plants and my books this week, won't be needing them",
            "I gave my cat to my sister and told her it's just for a while. it's not",
            "i'm giving my ps5 to my little brother, he'll need it more than me",
            "put my affairs in order today. feels good to be ready",
            "i deleted my socials and paid off my debts so nobody is left with a mess",
            "booked a hotel room for friday so no one finds me at home",
            "filled up the tank, heading to the woods where no one will find me",
        ],
    )
    .message(),
    rule(
        "passwords_and_savings",
        Suicidal,
        r"\b(passwords|contrasenas|passworter|passwoerter|mots de passe|senhas)\b.{0,40}\b(savings|ahorros|erspartes|economies|poupanca|envelope|for my (brother|sister|mom|mum|dad))\b|\btransferred my savings\b",
        &[
            "i put all my passwords in an envelope for my brother",
            "i transferred my savings to my sister and told her not to ask why",
        ],
    )
    .message(),
    rule(
        "how_and_when",
        Suicidal,
        r"\bi know (how|when|where) (i am going to|i will|to) do it\b|\b(know|decided|figured out) how and when\b|\bi have a plan\b.{0,40}\bfollow through\b|\bplanning (my (own )?(suicide|death)|how (to|i will|i am going to) (die|do it|kill myself|end it))\b|\bi have a gun\b.{0,60}\b(use it|end it|do it|on myself)\b",
        &[
            "I've been planning it for a month. I know how and when",
            "i know how i'm going to do it, i just haven't picked the day",
            "i have a plan and i think i'm going to follow through",
            "i've been planning my suicide for weeks",
        ],
    )
    .message(),
    rule(
        "doing_it_tonight",
        Suicidal,
        r"\b(going to|about to|ready to) (actually |finally )?do it (tonight|now|right now|this time|after everyone)\b|\bi am doing it (tonight|today|now)\b|\bi am about to do it$|\b(knife|blade|razor|gun|pills|rope)\b.{0,40}\b(going to|about to|ready to) do it\b",
        &[
            "sending this so someone knows. i'm going to do it tonight",
            "no more waiting. i'm doing it today",
            "i'm going to do it after everyone goes to bed",
            "i have the knife in my hand and i'm going to do it",
            "pretty sure i'm actually going to do it this time, i'm not scared anymore",
        ],
    )
    .message(),
    rule(
        "last_message",
        Suicidal,
        r"\b(this is )?my last (message|post|text|words)\b|\bit will be my last (one|night|day)$",
        &["bought razor blades and a bottle of whiskey for saturday night. it will be my last one"],
    ),
    // --- Suicidal: means and method. ------------------------------------------
    rule(
        "overdose",
        Suicidal,
        r"\b(thinking (of|about)|going to|want to|plan to|planning to|might|ready to|about to|will) (overdose|od)\b|\boverdosing\b|\bi (just |have |already )?overdosed\b|\boverdose (tonight|now|today)\b",
        &[
            "I'm thinking of overdosing",
            "i'm going to overdose tonight, i've decided",
        ],
    ),
    rule(
        "pills_taken",
        Suicidal,
        r"\b(took|take|taking|swallowed|swallow|swallowing|downed|popped) (a |the |my )?(whole|entire|full) (bottle|box|pack|packet|strip|blister|jar)\b|\b(took|take|taking|swallowed|swallowing|downed|popped) (all|all of|every one of|most of|half|half of|a (bunch|handful|lot|ton) of|too many|way too many|a few extra|extra|[2-9][0-9]+)( of)?( the| my)? (pills|tablets|meds|medication|medications|painkillers|sleeping pills|antidepressants|tylenol|paracetamol|ibuprofen|aspirin|capsules)\b|\btaking (the|all the|all my) pills (now|tonight|right now)\b|\b(already )?took something\b.{0,30}\bkick(ing)? in\b",
        &[
            "I took a whole bottle of pills",
            "i just swallowed a whole bottle of pills",
            "i took all the pills 20 min ago",
            "i'm done, taking the pills now",
            "gonna take the whole bottle once i log off",
            "i already took something, it's starting to kick in",
        ],
    )
    .message(),
    rule(
        "pills_stockpiled",
        Suicidal,
        r"\b(stockpil\w*|saved up|saving up|hoard\w*|collect\w*|stash\w*) (my |all my |up |the |some of my |my \w+ )?(pills|medication|meds|tablets|sleeping pills|antidepressants|painkillers)\b|\b(pills|tablets|meds) (saved|stockpiled|counted out)\b|\bhow many (\w+ )?(pills|tablets) (would it take|does it take|it takes|it would take|would kill|to die|to overdose|is (a )?lethal)\b|\b(lethal|fatal) (dose|amount)\b|\bhave enough (pills|tablets|meds)\b|\b(the|my) (pills|rope|noose) (is |are )?(ready|set up|waiting)\b",
        &[
            "I stockpiled my medication",
            "i've been stockpiling my antidepressants instead of taking them",
            "ive been collecting my grandmas sleeping pills",
            "i have the pills counted out in front of me",
            "how many sleeping pills would it take to not wake up",
            "I looked up how many pills it takes",
            "I have pills saved up and I'm going to take them all",
        ],
    ),
    rule(
        "method_asked",
        Suicidal,
        r"\b(painless|least painful|quickest|fastest|easiest|surest|quietest|most peaceful) (way|ways|method|methods) to (die|go|end it|end my life|kill myself|commit suicide|do it)\b|\b(researching|looking up|looked up|googling|googled|searching|searched) (ways|methods|how) to (die|end it|end my life|overdose|hang myself)\b",
        &["what's the least painful way to go", "i've been googling ways to die"],
    )
    .unless(r"\bway to go (to|there|about|from|for|if|when|home)\b"),
    rule(
        "hang",
        Suicidal,
        r"\bhang(ing)? my ?self\b|\b(bought|buy|buying|got|tied|tying|have) (a |the )?(rope|noose)\b|\bnoose\b|\btied the knot to see\b",
        &["i bought a rope today", "I keep thinking about hanging myself"],
    )
    .unless(r"\brope (for|to (climb|tie|hang (the|a|my) (laundry|clothes|hammock)))\b"),
    rule(
        "jump",
        Suicidal,
        r"\b(jump|jumping|throw my ?self|step|stepping) (off|from|in front of) (a |the |my |this |that )?(\w+ )?(bridge|roof|building|balcony|cliff|train|ledge|overpass|window|parking garage|car|bus|truck)\b|\b(going to|about to|ready to|want to) jump$|\b(think|thinking|thought) about jumping\b|\b(step|stepping|walk|walking) (out )?(into|in front of) (the )?(traffic|train|oncoming|a car|a bus|a truck)\b|\bedge of the (roof|bridge|building|cliff)\b|\b(bridge|building|cliff|floor)\b.{0,25}\b(highest|tallest|high enough|tall enough)\b|\b(roof|garage|it is) (high|tall) enough\b|\b(picked|chose|chosen) the bridge\b|\b(standing|sitting|i am) on (the|a) ledge\b|\bmapped out the (walk|route|drive) to the (bridge|cliff|river)\b",
        &[
            "I'm planning to jump off the bridge near my house",
            "im on the roof. i'm going to jump",
            "i'm done, i'm going to jump in front of the train",
            "i think about jumping every time i'm out on my balcony",
            "sometimes i think about stepping into traffic. like actually thinking about it",
            "I've been standing on the edge of the roof thinking",
            "i looked up which floor is high enough",
            "which bridge in the city is the highest, asking for me",
            "going up to the parking garage roof after work. it's tall enough",
            "i already picked the bridge",
            "i've mapped out the walk to the bridge. 20 minutes",
        ],
    ),
    rule(
        "hit_by_something",
        Suicidal,
        r"\b(hope|hoping|wish|wishing|pray|praying|want) (a |that a |the )?(car|bus|truck|train) (would |will )?(just )?(hit|hits|crash into|runs? me over)( me)?\b|\b(wish|hope|want|pray) (someone|somebody|anyone) (would |will |could )?(just )?(kill|shoot|murder) me\b",
        &[
            "sometimes i hope a car just hits me on the way to work",
            "i wish someone would just kill me so i don't have to do it myself",
        ],
    ),
    rule(
        "drive_into",
        Suicidal,
        r"\bdriv(e|ing) my car (into|off)\b|\bdriv(e|ing) (off|into) (the|a) (bridge|cliff|wall|tree|lake|river|ocean|sea|traffic|oncoming traffic)\b|\bcrash(ing)? my car (on purpose|into)\b|\bengine running\b.{0,40}\b(garage|closed)\b",
        &[
            "I keep thinking about driving my car into a wall",
            "part of me wants to drive off the bridge on the way home",
            "tomorrow morning i'm driving into the lake",
            "im sitting in my car with the engine running in the closed garage",
        ],
    ),
    rule(
        "gun_to_myself",
        Suicidal,
        r"\b(shoot|shooting) my ?self\b|\bbullet (in|through) my (head|brain|skull)\b|\bblow my (brains|head) (out|off)\b|\b(gun|pistol|barrel) (to|in|against) my (head|mouth|temple)\b|\bif i (had|owned|got|could get) (a |the |my |some )?(gun|firearm|pistol|rope|pills)\b.{0,40}\b(be dead|die|kill myself|use it|end it)\b|\bloading (the|my|a) (gun|pistol|rifle)\b|\b(gun|rifle|pistol)\b.{0,40}\bi know (the|where the) (code|combination|key)\b",
        &[
            "If I had a gun I'd be dead already",
            "i'm loading the gun right now",
            "i keep thinking about putting a bullet in my head",
            "the gun is in my dad's closet and i know the code",
        ],
    )
    .message(),
    rule(
        "insurance",
        Suicidal,
        r"\binsurance money\b.{0,60}\bwithout me\b|\blife insurance\b.{0,60}\b(than (out of )?me|pays out|if i die|if i died)\b|\bwithout me\b.{0,40}\binsurance money\b",
        &[
            "my family will be fine without me, they'll have the insurance money",
            "my family would get more out of the life insurance than out of me",
            "i checked my life insurance and it pays out for suicide after two years. it's been two years",
        ],
    )
    .message()
    .named(),
    rule(
        "terminal_relief",
        Suicidal,
        r"\b(terminal|fatal) (diagnosis|illness)\b.{0,40}\b(relieved|relief|glad)\b|\bnot (afraid|scared) (of|to) (dying|die|death) (anymore|any more)\b|\bwould not mind (if i (just )?(died|did not wake up|was dead|were dead|never woke up)|dying|being dead|not waking up)\b",
        &[
            "if i got a terminal diagnosis tomorrow i'd honestly be relieved",
            "i'm not afraid of dying anymore, i'm afraid of living another 40 years like this",
            "i don't want to kill myself exactly but i wouldn't mind if i just died",
        ],
    ),
    // --- Self-harm. ------------------------------------------------------------
    rule(
        "self_harm",
        SelfHarm,
        r"\b(i|i have been|been|i am|am|i keep|keep|started|start|still|i still) self[- ]?harm(ing|ed)?\b|\bself[- ]?harm(ing)? again\b|\b(urge|urges) to (self[- ]?harm|cut|hurt my ?self)\b|\bself[- ]?harm (urges|thoughts)\b|\b(how (can|do) i|i want to|trying to|help me) (stop|quit) (cutting|self[- ]?harming|hurting my ?self|burning my ?self)\b|\bcan not stop (cutting|hurting my ?self|self[- ]?harming)\b|\bmy self[- ]?harm(ing)?\b|\b(i|i have been|been|i am|am|i keep|keep|started|still) self[- ]?(injur(e|ing)|mutilat(e|ing))\b|\bmy self[- ]?(injury|mutilation)\b|\bwant to feel (physical )?pain\b|\bcutting again\b|\bstruggl\w* with (self[- ]?harm\w*|cutting)\b",
        &[
            "ive been self harming again and its getting worse",
            "the urge to self harm is really strong tonight",
            "I'm self-harming again and I can't stop",
            "how can i stop cutting",
            "my self harm is getting worse and i don't know what to do",
            "i struggle with self harm",
        ],
    ),
    rule(
        "relapsed",
        SelfHarm,
        r"\brelaps\w*\b.*\b(sh|self[- ]?harm\w*|cut\w*|blades?|razor|cuts|streak)\b|\b(sh|self[- ]?harm\w*|cutting|cuts)\b.*\brelaps\w*\b|\bbroke my \w+ (month|week|day|year) streak\b",
        &[
            "just relapsed. sh",
            "i relapsed on cutting and i want to keep going",
            "relapsed after 3 months clean, the cuts are pretty deep",
            "it's been a really bad week and tonight i broke my 4 month streak. used the blade from my sharpener on my upper arm where nobody checks. i cleaned it but it's still bleeding a bit and i already want to do it again",
        ],
    )
    .message(),
    rule(
        "hurt_myself",
        SelfHarm,
        r"\b(want|wanting|wanted|going|need|needing|urge|urges|tempted|trying|try|plan|planning|about|itching|desperate) to (hurt|harm|cut|burn|punish|hit|punch|scratch|starve|mutilate) my ?self\b|\b(been|keep|kept|started|start|still|i am|am) (hurting|harming|cutting|burning|punishing|hitting|punching|scratching|starving|mutilating|scarring) my ?self\b|\b(hurting|harming|cutting) my ?self\b|\bi (punch|slap|scratch|bite|starve) my ?self\b|\b(hurt|harmed|cut|burned|burnt|hit|punched|scratched|starved) my ?self (again|on purpose|deliberately|intentionally|to feel|so i|so that|until|till|with (a|the|my) (knife|blade|razor|lighter|cigarette|scissors|compass|glass|curling iron))\b|\bafter i hurt my ?self\b|\bi (cut|burn|hurt|hit|harm) my ?self (when|whenever|every time|because|to cope|to feel|as a)\b|\bi (burn|harm) my ?self\b|\bi have (been )?(cut|cutting|burned|burnt|harmed|harming) my ?self\b",
        &[
            "hurting myself is the only thing that calms me down",
            "i hurt myself again, it's like a reflex now",
            "i keep burning myself with a lighter when i feel like this",
            "i've been hurting myself and i don't know how to stop",
            "i punch myself in the face when i mess up",
            "i burned myself with a curling iron and told my mom it was an accident",
            "i've been starving myself on purpose as a punishment",
            "i want to punish myself, i'm going to go get the blade",
            "the only way i can sleep is after i hurt myself",
            "i cut myself when i get really stressed",
            "i've cut myself three times this week",
        ],
    )
    .unless(r"\bcutting my ?self (some|a|off|slack)\b"),
    rule(
        "cut",
        SelfHarm,
        r"\bcut my ?self (again|last night|tonight|on purpose|deliberately|deeper|deep|badly)\b|\b(cut|cutting|slit|slitting) my (wrists?|thighs?|stomach|arms? tonight|arm again)\b|\bto cut my (arm|arms|leg|legs|skin)\b|\b(want|going|need|urge|urges|tempted|about) to cut (so bad|so badly|tonight|again|deeper|right now)\b|\b(going|want|need) to cut$|^cut again\b|\bcut (again|deeper|so deep)\b|\bi (just )?cut$|\bstarted cutting my\b|\bbeen cutting (for|since|again)\b|\bcarv(e|ed|ing) .{0,20}\binto my (skin|arms?|thighs?|legs?|wrists?|stomach)\b|\b(arms?|legs?|thighs?|wrists?) (look|looks) like (a )?barcode\b",
        &[
            "I cut myself again last night",
            "I just cut my wrists",
            "cut my wrist tonight, not trying to die, just needed it to stop",
            "going to cut tonight, i can feel it coming",
            "i want to cut so bad right now",
            "cut again, deeper than usual, idk if i need stitches",
            "i started cutting my stomach so no one sees",
            "i've been cutting for a year and no one knows",
            "using the compass from my geometry set to cut my arm",
            "i carved words into my thigh",
            "my arms look like a barcode again",
        ],
    ),
    rule(
        "cuts_and_blood",
        SelfHarm,
        r"\b(the|my) cuts (are|were) (getting )?(deeper|deep|so deep|pretty deep|really deep|bad)\b|\bhide (my |the )?(fresh |new )?(cuts|scars|wounds)\b|\b(cut|cuts) (so |too |really )?deep\b|\bbleeding (will not|would not|does not) stop\b|\b(until|till|til) (it|they|i|my \w+) (bleed|bleeds|bled|bruise|bruises|bruised|split|splits|swell|swells|swelled up|saw stars|hurts)\b|\bmade my ?self bleed\b|\bmake my ?self bleed\b|\bbleed\w*\b.{0,30}\bdid it to my ?self\b|\bbleeding (a lot|so much|heavily)\b|\bwant to see (my own )?blood\b|\bscratch(ed|ing)? my (skin|arms?|legs?) (raw|until|till|off)\b",
        &[
            "the cuts are getting deeper every time",
            "how do i hide fresh cuts from my parents",
            "i cut so deep the bleeding won't stop",
            "I keep punching walls on purpose until my knuckles bleed",
            "i keep digging my nails into my wrists until they bleed",
            "i made myself bleed again",
            "i'm bleeding and i did it to myself",
            "sorry im bleeding a lot rn and i can't think straight",
            "i just want to see blood, it makes the noise stop",
            "i scratched my skin raw with a fork",
            "i bite my arm until it bruises when i'm upset",
        ],
    )
    .message(),
    rule(
        "blade",
        SelfHarm,
        r"\b(holding|grabbed|get|getting|hid|hide|hidden|hiding|stashed|took out) (a|the|my) (razor|blade|razor blade|razor blades|blades)\b|\bblades? (hidden|stashed)\b|\bsharpener\b.{0,30}\bblade\b|\bbroke my (pencil )?sharpener\b",
        &[
            "it's 3am and i'm holding a razor",
            "I hid the razor blades so no one would find them",
            "i broke my pencil sharpener to get the blade out",
        ],
    )
    .message(),
    rule(
        "hit_my_head",
        SelfHarm,
        r"\b(bang|banging|slam|slamming|hit|hitting|punch|punching) my (head|fists?|hands?) (into|against) (the |a )?(wall|desk|floor|door|table|mirror)\b",
        &[
            "i bang my fists into the wall until my knuckles split",
            "i hit my head against the wall until i saw stars",
            "i keep slamming my head into the desk till it hurts",
        ],
    ),
    rule(
        "burn_or_hurt_on_purpose",
        SelfHarm,
        r"\b(hurt|cut|burn\w*|hit|punch\w*|scratch\w*|bit|bite|bang\w*|starv\w*|bruis\w*) (my ?self|my (arm|arms|skin|leg|legs|wrist|wrists|thigh|thighs|hand|hands|head|face|stomach))\b.{0,40}\b(on purpose|deliberately|intentionally)\b|\b(iron|lighter|cigarette|match|stove) (to|on|against) my (arm|arms|skin|wrist|leg|hand|thigh)\b|\bburn(ed|t|ing)? my (arms?|skin|wrists?|thighs?) (again|with|on purpose)\b|\b(to|so i can|so that i can|just to) feel something\b.{0,20}\b(hurt|cut|burn|pain|bleed)\b|\b(hurt|cut|burn|bleed|pain|pills|hit)\w*\b.{0,40}\b(to|so i can|so that i can|just to) feel something\b",
        &[
            "i burned my arm on the stove on purpose",
            "i keep wanting to press the hot iron to my arm",
            "i want to hurt myself so i can feel something other than this",
            "i took a few extra pills just to feel something, not to die",
            "I've been scratching my skin until it bleeds so I can feel something",
        ],
    )
    .message(),
    rule(
        "deserve_pain",
        SelfHarm,
        r"\bi deserve (to feel )?(pain|to suffer|to be hurt)\b",
        &["i deserve to suffer for what i did"],
    ),
    // --- Intent to harm others. ------------------------------------------------
    rule(
        "harm_others",
        HarmToOthers,
        r"\bi (am going to|will|want to|am thinking of|am thinking about|might|am planning to|plan to|feel like i could|could|am about to|really want to|am tempted to|would) (actually |really |seriously |literally |just )?(stab|shoot|murder|strangle|choke|beat up|beat the crap out of|beat the shit out of|attack|poison|smother|run over|drown|torch|hurt|hit|punch|push) (him|her|them|my \w+|someone|somebody|people|everyone|anyone|the people|the (guy|man|woman|kid|kids|baby|teacher|boss|neighbou?rs?)|his|her|their|a (guy|man|woman|kid|child))\b|\brun (him|her|them|my \w+) over\b|\bfeel like (killing|hurting|stabbing|shooting|strangling) (someone|somebody|people|him|her|them|my \w+)\b|\bwant (him|her|them|my \w+) (dead|to die)\b|\bburn (his|her|their) (house|car|place) down\b|\bput(ting)? (him|her|them) in (the )?(hospital|ground|grave)\b",
        &[
            "I'm going to stab my roommate if he touches my stuff again",
            "i want to hurt my coworker, i've been thinking about how",
            "i'm going to beat the crap out of my girlfriend when she gets home",
            "i'm going to burn his house down",
            "i'm going to hurt my brother tonight, he deserves it and i'm done holding back",
            "i'm going to hurt the people who did this to me, i have a plan",
            "i'm going to push him down the stairs when he comes home",
            "i'm going to run him over tomorrow when he crosses the parking lot",
            "i want to run my ex over with my car and i'm not joking",
            "i'm so angry i could actually hurt someone tonight and i'm scared of myself",
            "next time he talks to me like that i'm putting him in the hospital",
            "my hands are shaking, i want to hit my kid and i can't stop thinking about it",
            "i want to shoot the guy who slept with my wife, i know where he lives",
            "i feel like killing someone right now",
        ],
    )
    .figurative()
    .unless(r"\b(shoot|shot) my shot\b|\bhit (him|her|them) up\b|\bhit my (limit|goal|target|stride|peak|step)\b|\bhit the (gym|road|sack|books|hay)\b"),
    rule(
        "kill_someone",
        HarmToOthers,
        r"\bi (am going to|will|want to|am planning to|plan to|am about to|am thinking of|am thinking about|have to|need to|would) (actually |really |seriously |literally )?kill (him|her|them|my \w+|someone|somebody|people|everyone|anyone|the (guy|man|woman|people))\b",
        &[
            "I'm going to kill my boss tomorrow",
            "i'm going to kill him, i mean it this time",
            "if she leaves me i'll kill her",
            "i want to kill someone. anyone. i'm so angry",
        ],
    )
    .figurative()
    .message()
    .requires(SERIOUS),
    rule(
        "how_to_harm",
        HarmToOthers,
        r"\bhow (can|do|could|should) i (kill|poison|hurt|murder|stab|shoot|strangle|drown|get rid of|beat up) (my (wife|husband|partner|boyfriend|girlfriend|ex|mom|mum|dad|mother|father|brother|sister|son|daughter|boss|coworker|neighbou?r|roommate|teacher|friend|uncle|aunt|baby|kid|kids|child|family|stepdad|stepmom|classmates?)|him|her|them|someone|somebody|a (person|man|woman|kid|child))\b",
        &[
            "how can i poison my husband without anyone knowing",
            "how do i hurt him so he never forgets it",
        ],
    )
    .unless(r"\bbeat (up )?(my \w+|him|her|them) (at|in)\b"),
    rule(
        "weapon",
        HarmToOthers,
        r"\b(gun|knife|weapon|rifle|pistol|bat|machete|axe)\b.{0,60}\b(use it on|using it on|make (him|her|them|everyone) pay|waiting for (him|her|them|my \w+)|driving to (his|her|their) (place|house))\b|\bmake (him|her|them) pay\b.{0,40}\b(gun|knife|weapon)\b|\b(bring|bringing|take|taking) (a|my|the|my \w+|my dad's|my mom's) (gun|knife|rifle|pistol|weapon) to (school|work|class|church|the office)\b|\b(going to|will)\b.{0,30}\b(him|her|them)\b.{0,10}\bwith (a|my|the) (knife|gun|bat|rifle|pistol|hammer|machete|axe)\b|\bloaded my (rifle|gun|pistol)\b",
        &[
            "I have a gun and I'm thinking of using it on my coworkers",
            "I'm going to make him pay, I'm getting a knife",
            "i have a knife and i'm going to use it on my roommate",
            "i loaded my rifle and i'm waiting for my ex to show up",
            "i have the bat in my car and i'm driving to his place now",
            "i'm bringing my dad's gun to school tomorrow",
            "i've been following my ex and i'm going to confront him with a knife",
        ],
    )
    .message(),
    rule(
        "thoughts_of_harming",
        HarmToOthers,
        r"\b(think|thinking|thought|thoughts|fantasi[sz]e|fantasi[sz]ing|picture|picturing|imagine|imagining|urges?|intrusive thoughts) (about |of |to )?(how easy it would be to )?(hurting|killing|harming|smothering|shooting|stabbing|poisoning|strangling|drowning|shaking|hurt|kill|harm|smother|shoot|stab|poison|strangle|drown) (up )?(my \w+|people|someone|somebody|him|her|them|everyone|the (baby|kids?|children|class|school|people))\b|\b(urges?|thoughts) (to|of|about) (hurt|hurting|harm|harming|kill|killing) (children|kids|babies|people|women|men)\b|\bshoot(ing)? up (my|the|a) (school|class|office|work|church|mall)\b|\b(make|build|making|building) (a )?(pipe bomb|explosive device|homemade bomb)\b|\bbomb (my|the) (school|work|office|church)\b|\bplant a bomb\b|\bshook (my|the) baby\b|\bsmother my (newborn|baby)\b",
        &[
            "sometimes I think about hurting my baby and it scares me",
            "honestly thinking about hurting my mom while she sleeps",
            "i can't stop fantasizing about shooting up my class",
            "i keep having urges to hurt my baby and i'm terrified",
            "i keep picturing hurting people on the train and i'm starting to want to",
            "i've been thinking about how easy it would be to hurt my grandma and no one would know",
            "i've thought about poisoning my roommate's food",
            "i shook my baby really hard because she wouldn't stop crying and i'm scared i'll do it again",
            "i'm scared i'm going to smother my newborn, the thoughts won't stop",
        ],
    ),
    rule(
        "revenge",
        HarmToOthers,
        r"\bmake (them|everyone|everybody|him|her|people) (\w+ ){0,3}suffer\b|\bsee (them|him|her|everyone|everybody) suffer\b|\bmake (them|him|her|everyone|everybody) (all )?pay\b.{0,20}\b(at (work|school)|on (monday|tuesday|wednesday|thursday|friday)|tomorrow|tonight)\b|\bsomeone('s| is) going to get (hurt|killed)\b|\b(school|work|class)\b.{0,30}\b(massacre|bloodbath)\b|\bgoing after (them|him|her) next\b",
        &[
            "i want to make everyone at my school suffer the way i did",
            "i'm going to make them all pay at work on monday",
            "i've been planning how to get back at my teacher, someone's going to get hurt",
            "tomorrow at school is going to be a massacre",
            "i poisoned the neighbours' dog and i'm going after them next",
        ],
    ),
    // --- Abuse or danger now. --------------------------------------------------
    rule(
        "being_hurt",
        DangerNow,
        r"\b(he|she|they|my [a-z']+(?: [a-z']+)?|someone|somebody|a (man|guy|woman|stranger))( just| always| still| keeps| kept| often| usually| sometimes| again| even| then| also| literally| already| really| sexually| physically| emotionally)* (hits|hitting|beat|beats|beating|kick|kicks|kicked|kicking|choke|chokes|choked|choking|strangle|strangles|strangled|strangling|slap|slaps|slapped|slapping|punch|punches|punched|punching|rape|raped|raping|burns|burned|burnt|pushed|shoved|grabbed|attacked|molested|abuse|abuses|abused|abusing|touches|touching) (me|us|my (mom|mum|mother|sister|brother|kids?|child|children|baby))\b|\b(he|she|they|my [a-z']+(?: [a-z']+)?) (just )?hit (me|us)\b|\band (hits|beats|chokes|kicks|slaps|punches|burns|rapes) me\b|\b(hitting|beating|kicking|choking|strangling|slapping) (me|my (mum|mom|mother|sister|brother|kids?|child|children|baby))\b|\b(slammed|smashed|banged) my head\b|\b(threw|throws|throwing) (a |the |things |stuff )?\w* ?at (me|my head|my face)\b|\bforc(e|es|ed|ing) me to (have sex|do (things|stuff)|touch)\b|\bmakes me do things i do not want\b|\btouch(es|ed|ing)? me (when|while|at night|there|inappropriately|down there)\b",
        &[
            "my dad beats me when he's drunk",
            "I'm scared, my dad is drunk and hitting my mum",
            "my boyfriend choked me last night and said next time he'll finish it",
            "he hit me so hard my ear is ringing, he's in the next room",
            "he pushed me down the stairs tonight and now he's acting like nothing happened",
            "i'm 12 and my mom's boyfriend hits me every day",
            "my brother beats me up every day and my parents don't care",
            "my boyfriend goes through my phone and hits me if i text other guys",
            "my husband strangled me last night, i have marks on my neck",
            "he slammed my head into the wall, i think i have a concussion, he's still here",
            "my wife throws things at me and last night she cut me with a knife",
            "my partner forces me to have sex when i say no",
            "my coach makes me do things i don't want to and says no one will believe me",
            "i'm 15 and my uncle touches me when my parents aren't home",
            "my mom burns me with cigarettes when i misbehave",
        ],
    )
    .unless(r"\bbeat (me|us) (at|in|to|by)\b|\bhit me up\b|\bhit me back\b|\b(it|that|reality|the realization|this) (just )?hit me\b"),
    rule(
        "assaulted",
        DangerNow,
        r"\bi (was|have been|got|just got) (just )?(assaulted|raped|attacked|abused|molested)\b|\bi am being (abused|hit|beaten|hurt|raped|molested|threatened|stalked|followed|trafficked|groomed)\b|\b(i am|i have been|still) in an abusive (relationship|home|marriage)\b|\bmy [a-z']+ is (abusive|violent)( to me| with me)?$|\b(he|she|they|my [a-z']+(?: [a-z']+)?) (keeps|kept|is|started) hurting me\b",
        &[
            "I was just assaulted and I don't know what to do",
            "i think i am being abused at home",
            "i'm in an abusive relationship and i can't get out",
            "my mom's boyfriend keeps hurting me and she says i'm lying",
        ],
    )
    .unless(r"\b(emotionally|feelings|words|with (his|her|their) words)\b"),
    rule(
        "scared_of_them",
        DangerNow,
        r"\b(scared|afraid|terrified) of my (husband|wife|partner|boyfriend|girlfriend|dad|father|stepdad|stepfather|mom|mum|mother|ex|brother|parents)(?:$|[ ,.!?])|\b(he|she|they|my [a-z']+) (keeps )?(threatens|threatening) (me|to)\b|\bmakes me (touch|watch) (him|her|them|things)\b",
        &[
            "i'm scared of my husband when he drinks",
            "my stepdad keeps threatening me",
            "he makes me touch him when we're alone",
        ],
    )
    .unless(r"\b(finding out|find out|seeing|reaction|knowing|when (she|he) (finds|sees))\b"),
    rule(
        "threatened",
        DangerNow,
        r"\bthreaten(ed|s|ing)? (to (kill|hurt|beat) me|me with (a|his|her) (knife|gun))\b|\b(said|says|told me|swore|keeps saying|threatened) (that )?(if i \w+( \w+)? )?(he|she|they) (will|would|is going to|are going to|is gonna) (kill|hurt|beat|shoot|stab) (me|us|my \w+|the kids|the baby|the children)\b|\b(he|she|they|my [a-z']+) (will|would|is going to|are going to) (hurt|beat|shoot|stab|hit) (me|us|my \w+|the kids|the baby|the children)\b|\b(scared|afraid|terrified|worried) (that )?(he|she|they|my [a-z']+) (will|would|is going to|might) (actually |really )?(kill|hurt|beat|hit) me\b|\b(he|she|they) (will|would|is going to|are going to) do to me\b|\b(said|says) i am dead\b|\bis going to kill me when (he|she) gets home\b|\b(he|she|they) (will|would) kill me (and then|if i (leave|tell|call|go))\b",
        &[
            "my partner just threatened to kill me and he's outside the door",
            "he says if I leave he'll kill me, and I believe him",
            "I'm scared to go home tonight because of what he'll do to me",
            "he said he'd kill my dog if i tell anyone what he does to me",
            "he said if i call anyone he'll hurt the kids",
            "i'm scared he'll actually kill me this time",
            "i'm scared to go home tonight, my dad will beat me",
            "my dad said he's going to kill me when he gets home",
            "my husband says he'll kill me and then himself",
            "my husband threatened to kill me if i leave",
            "my partner is threatening me with a knife",
            "he's in the house right now and he said i'm dead when he finds me",
        ],
    )
    .unless(r"\bbeat (me|us) (at|in|to|by)\b"),
    rule(
        "trapped",
        DangerNow,
        r"\b(locked|locks|lock|locking) me (in|out|inside|up)\b|\btrapped in (his|her|their|the|a|my) (car|room|house|basement)\b|\bwill not let me (leave|out)\b|\b(took|takes|has taken|stole|hid|hides) my (passport|documents|id|car keys|keys)\b|\b(scared|afraid|terrified) (to go|of going) (back )?home\b|\b(scared|fear|fearing|afraid|worried) for my (life|safety)\b|\b(trying|tried) to (open|get into|break into|get in) my (car|door|house|room|window|apartment)\b|\b(he|she|they) (is|are) (smashing|breaking|throwing|kicking|banging on|pounding on) (things|stuff|the door|my door|everything)\b",
        &[
            "he took my phone and won't let me leave the house",
            "he took my passport and says i can't leave",
            "i'm trapped in his car and he won't stop driving",
            "my partner won't let me leave the house and took my car keys",
            "they won't let me leave this house and they took my documents",
            "my parents lock me out of the house overnight in the cold",
            "the man who lives with us locks me in the basement",
            "I'm scared to go home tonight because of what he'll do to me",
            "i'm scared for my life, he has a gun and he's furious",
            "there's a man trying to open my car door right now",
            "i'm home alone with my stepbrother and he keeps trying to get into my room",
            "i'm hiding in the closet, he's smashing things downstairs",
        ],
    )
    .unless(r"\bout of (my |the )?(account|accounts|instagram|email|phone|computer|app|system|group chat|chat)\b|\bwill not let me (leave|go out) (until|unless|without|before)\b"),
    rule(
        "hiding_from_someone",
        DangerNow,
        r"\bhiding (in|upstairs|downstairs|under)\b|\b(i am|i got|been) locked (in|inside) (my|the|a|his|her) (room|bathroom|closet|basement)\b|\b(broke|breaking|broken) into (my|our|the) (house|home|apartment|flat|room)\b|\b(at|outside|in front of) (my|the) (door|house|apartment|window|flat|place)\b.{0,40}\b(will not leave|refuses to leave|trying to get in|restraining order)\b|\b(restraining|protective|protection) order\b.{0,40}\b(outside|at my|here|showed up)\b|\b(outside|at my|here|showed up)\b.{0,40}\b(restraining|protective|protection) order\b",
        &[
            "my boyfriend just hit me again and i'm hiding in the bathroom",
            "someone broke into my house and i'm hiding upstairs",
            "the guy i met online is at my door and won't leave",
            "my ex is outside my apartment right now and he has a restraining order",
            "i'm locked in my room, he took my phone, typing from my tablet",
        ],
    )
    .message()
    .requires(r"\b(he|she|they|hit|hits|hurt|scared|afraid|terrified|smashing|yelling|screaming|kicking|drunk|broke into|following|someone|somebody|a man|a guy|won't leave|will not leave|restraining)\b"),
    rule(
        "followed",
        DangerNow,
        r"\b(someone|somebody|a man|a guy|a car|he|she|they|my ex|a stranger)( is| are| keeps| has been| is still| are still| keeps on| started| was)* (following|stalking) me\b",
        &[
            "someone is following me home and I'm terrified",
            "someone grabbed me on the walk home, i got away but he's still following me",
            "someone is following me and i'm alone in the parking lot",
        ],
    ),
    rule(
        "night_visits",
        DangerNow,
        r"\b(comes?|coming|came) into my (room|bed) at night\b",
        &[
            "my uncle comes into my room at night and I'm scared",
            "my older cousin keeps coming into my room at night",
        ],
    ),
];
