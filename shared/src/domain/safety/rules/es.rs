//! Spanish cues, written from the Spanish rows of data/safety/train.jsonl
//! and common phrasing (Spain and Latin America). Prepared text has no
//! accents: "quitarme la vida", "estarian mejor sin mi". First-person verb
//! forms ("quiero", "me corto") keep third-person talk ("quiere morirse")
//! out; `guards` sets aside negations ("no quiero morir"), the past ("hace
//! anos"), someone else and laughter.

use super::{Rule, rule};
use crate::domain::safety::CrisisCategory::{DangerNow, HarmToOthers, SelfHarm, Suicidal};

/// What makes "voy a matarlo" more than a figure of speech.
const SERIO: &str = r"\b(cuando (llegue|venga|vuelva|entre)|esta noche|manana|en serio|no es broma|lo digo en serio|con (un|el|la|mi|una) (cuchillo|pistola|arma|bate|navaja)|si (me deja|se va|me engana|me toca|vuelve))\b";

pub const RULES: &[Rule] = &[
    // --- Suicidal. -------------------------------------------------------------
    rule(
        "es_matarme",
        Suicidal,
        r"\b(quiero|quisiera|voy a|ganas de|deseo|necesito|intentar|intente|a punto de|decidi|he decidido|planeo|planeando|pienso en|pense en|pensando en|pensar en|pienso (mucho|siempre|a veces|seguido|todo el tiempo|cada dia) en) (matarme|suicidarme|quitarme la vida|acabar con mi vida|terminar con mi vida|acabar con todo|terminar con todo|quitarme de en medio)\b|\bme (voy a|quiero) (matar|suicidar|quitar la vida)\b|\bme (suicido|quito la vida)\b|\b(pienso|pensando|pense) (mucho |siempre |a veces |seguido )?en (el )?suicidio\b",
        &[
            "tengo ganas de matarme",
            "pienso en suicidarme todos los dias",
            "ultimamente pienso mucho en quitarme la vida",
            "cuando todos se duerman me voy a quitar la vida",
            "ya lo decidí, este fin de semana me suicido",
            "me voy a matar esta noche",
            "ando pensando en acabar con todo",
            "ya no puedo más, me quiero matar",
            "hoy mismo me quito la vida, ya no aguanto",
        ],
    ),
    rule(
        "es_quiero_morir",
        Suicidal,
        r"\b(me )?quiero morir(me)?\b|\bquiero (estar )?muert[oa]\b|\bdeseo morir\b|\bojala (me muera|me muriera|estuviera muert[oa]|no despertar|no despierte|no haber nacido)\b|\bquiero que (todo )?(se acabe|termine) (todo)?\b|\bquiero que todo (se )?(acabe|termine)\b",
        &[
            "me quiero morir y no sé cómo decírselo a nadie",
            "nada tiene sentido, quiero morir",
            "quiero morirme, en serio",
            "ojalá no despertar mañana",
            "ya no aguanto más, quiero que todo se acabe",
        ],
    )
    .figurative()
    .unless(r"\bmorir(me)? (de|del)\b"),
    rule(
        "es_no_quiero_vivir",
        Suicidal,
        r"\b(ya )?no quiero (seguir )?(vivir|viviendo|existir|estar viv[oa]|estar aqui|seguir aqui|despertar(me)?)\b|\bno quiero seguir (aqui|asi|en este mundo)\b|\b(ya )?no tengo (ganas|razones|motivos|nada|por que|porque) (de |para )?vivir\b|\b(quiero|quisiera|solo quiero|deseo|ganas de) (dejar de existir|desaparecer para siempre|desaparecer de este mundo|dormir para siempre)\b|\bdejar de existir\b|\bdesaparecer para siempre\b|\bcansad[oa] de (vivir|estar viv[oa]|existir|la vida)\b|\bno (le )?(veo|encuentro|tiene) (el |ningun )?sentido (a |de |en )?(seguir )?(vivir|viviendo|la vida)\b|\bno (despertar(me)?|volver a despertar) (nunca|jamas|mas)\b|\bdormir(me)? y no despertar\b",
        &[
            "neta ya no quiero estar aquí",
            "no le veo sentido a seguir viviendo",
            "no quiero seguir aquí, estoy agotado de todo",
            "nose q hacer ya, solo quiero dejar de existir",
            "estoy cansada de estar viva",
            "ya no quiero existir",
            "sueño con dormirme y no despertar nunca más",
            "quiero desaparecer para siempre",
            "estoy cansado de vivir, de verdad",
            "ya no tengo ganas de vivir",
        ],
    )
    .unless(r"\bvivir (con|en|sol[oa]|cerca|lejos|aqui|alli|asi|de)\b|\bdespertar(me)? temprano\b|\baqui (en|trabajando|con)\b"),
    rule(
        "es_pensamientos",
        Suicidal,
        r"\b(tengo|tener|con|volvi a tener|otra vez|vuelvo a tener) pensamientos suicidas\b|\bpensamientos suicidas (otra vez|de nuevo)\b|\bpensamientos (de|sobre) (suicidio|matarme|morir)\b|\b(tengo|con) ideas suicidas\b",
        &[
            "tengo pensamientos suicidas otra vez",
            "volví a tener pensamientos suicidas",
        ],
    ),
    rule(
        "es_unica_salida",
        Suicidal,
        r"\b(la muerte|morir(me)?|matarme|el suicidio) (me parece|parece|es|seria|lo veo como) (la )?(unica )?(salida|solucion|opcion)\b|\bla unica (salida|solucion|opcion) (es|que veo es|que me queda es) (morir|la muerte|matarme|el suicidio|desaparecer)\b",
        &[
            "la muerte me parece la única salida",
            "la única salida que me queda es morir",
        ],
    ),
    rule(
        "es_mejor_sin_mi",
        Suicidal,
        r"\b(estarian|estaria|seria|serian|vivirian|estaran|se sentirian|estarian mas) (mucho |tan )?(mejor|aliviad[oa]s?|tranquil[oa]s?|felices) sin mi\b|\bmejor sin (una|un) (madre|padre|hij[oa]|herman[oa]|persona) como yo\b|\bnadie (me )?(extranaria|notaria|echaria de menos|lloraria|se daria cuenta)\b|\balguien (me )?(extranaria|echaria de menos|notaria)\b.{0,20}\bsi (me )?(muero|muriera|desapareciera|me fuera)\b|\bsi (me muriera|desapareciera|me muero|muriera)\b.{0,30}\b(alivio|mejor|nadie|importa)\b|\bsoy una carga\b|\b(seria|todo seria) (mucho |tan(to)? )?mas (facil|sencillo|simple) si (yo )?(ya )?(no estuviera|no existiera|desapareciera|me muriera)\b",
        &[
            "todos estarían mejor sin mí",
            "mis hijos estarían mejor sin una madre como yo",
            "nadie me extrañaría si desapareciera",
            "si me muriera mañana sería un alivio para todos",
            "soy una carga para mi familia, se sentirían aliviados sin mí",
            "todo sería mucho más fácil si ya no estuviera",
            "¿alguien me extrañaría si me muero? creo que no",
        ],
    )
    .named(),
    rule(
        "es_saltar",
        Suicidal,
        r"\b(tirarme|aventarme|lanzarme|arrojarme) (del|de un|de una|de la|por la|desde el|desde la|al|a las) (balcon|puente|edificio|ventana|azotea|techo|tren|metro|vias|acantilado)\b|\b(me voy a|voy a) (tirar|aventar|lanzar)( por la ventana| del \w+)?$|\bvoy a saltar( del| de la| desde)?\b|\bestoy (en|sobre|arriba de|en el borde de) (el|la|un|una) (puente|azotea|techo|cornisa|vias|acantilado)\b.{0,25}\b(ahora mismo|y voy|para saltar|saltar|mirando (abajo|el agua))\b",
        &[
            "a veces pienso en tirarme del balcón",
            "estoy en la azotea y voy a saltar",
            "estoy en el puente ahora mismo",
            "estoy en el borde de la azotea mirando abajo",
        ],
    ),
    rule(
        "es_despedida",
        Suicidal,
        r"\b(este es )?mi ultimo mensaje\b|\bme despido de (todos|todo el mundo|ustedes|vosotros)\b|\b(les|os|te) digo adios\b.{0,40}\b(hoy|esta noche|para siempre|se acaba|se termina)\b|\badios\b.{0,20}\bperdon(en|a|adme)? por todo\b|\bperdon(en|a|adme)? por todo\b.{0,20}\badios\b|\b(manana|pronto) (ya )?no voy a estar( aqui| mas)?\b|\bya no voy a estar( aqui| mas| mucho tiempo)?$|\b(esta noche|hoy|manana) lo hago\b|\blo (voy a hacer|hare) (esta noche|hoy)\b|\b(hoy|esta noche) se (acaba|termina) todo\b|\bcartas? de despedida\b",
        &[
            "este es mi último mensaje, gracias por todo",
            "me despido de todos, hoy se acaba",
            "mañana ya no voy a estar",
            "esta noche lo hago",
            "les digo adiós, esta noche se acaba todo",
            "escribí cartas de despedida para mi familia",
        ],
    )
    .message(),
    rule(
        "es_pastillas",
        Suicidal,
        r"\b(me tome|tome|me trague|trague|me voy a tomar|voy a tomar) (todas (las|mis)|toda la caja de|toda la caja|la caja entera de|un bote de|un frasco de|muchas|un monton de|[0-9]+) (pastillas|pildoras|medicinas|medicamentos|comprimidos|calmantes|antidepresivos)\b|\bcuantas (pastillas|pildoras|comprimidos) (hacen falta|necesito|se necesitan|son mortales|para morir)\b|\b(juntando|guardando|acumulando|escondiendo) (pastillas|pildoras|medicamentos|calmantes|comprimidos)\b|\b(pastillas|comprimidos) contad[oa]s\b",
        &[
            "me tomé todas las pastillas hace un rato",
            "busqué cuántas pastillas hacen falta",
            "he estado juntando pastillas desde hace semanas",
            "tengo las pastillas contadas sobre la mesa",
            "me tomé toda la caja de calmantes hace 20 minutos",
        ],
    ),
    rule(
        "es_plan",
        Suicidal,
        r"\b(compre|tengo|consegui) (una|la) (cuerda|soga)\b|\b(elegi|escogi) el (puente|edificio|lugar|dia)\b|\bno (la|lo|las|los) voy a necesitar( mas)?\b|\bregal(e|ando|o) (todas )?mis cosas\b|\b(regale|done|di) (a )?mi (gato|perro|mascota|guitarra)\b|\b(le deje|les deje|le di|le pase) a (mi|mis) \w+ (mis )?(contrasenas|ahorros|claves)\b|\bya (se|tengo pensado) (como|donde|cuando) (lo voy a hacer|hacerlo|lo hare)\b|\btengo todo (planeado|preparado|listo|pensado)\b|\bcomo y cuando\b|\b(fije|puse|elegi|tengo) (una|la) fecha\b.{0,30}\b(sera|va a ser|el dia)\b|\bdeje todo listo\b.{0,40}\b(acantilado|puente|me voy)\b|\bla carta (ya )?esta (en|sobre) (el|la|mi)\b",
        &[
            "compré una cuerda hoy",
            "ya elegí el puente",
            "regalé mi guitarra, ya no la voy a necesitar",
            "regalé a mi gato y mis cosas esta semana",
            "ya tengo todo planeado, sé cómo y cuándo",
            "ya dejé todo listo, mañana temprano me voy al acantilado",
            "le dejé a mi hermana mis contraseñas y mis ahorros",
            "ya fijé una fecha, va a ser el 14",
            "tengo todo preparado, la carta está en el escritorio",
        ],
    )
    .message()
    .unless(r"\b(cuerda|soga) para (tender|la ropa|escalar|saltar)\b|\b(viaje|fiesta|boda|mudanza|examen|cumple\w*|vacaciones|cita)\b"),
    rule(
        "es_a_punto",
        Suicidal,
        r"\b(cuchillo|navaja|pistola|arma|cuerda|soga|pastillas|cuchilla)\b.{0,40}\b(lo voy a hacer|voy a hacerlo|lo hago (ya|ahora))\b",
        &[
            "tengo el cuchillo en la mano y lo voy a hacer",
            "tengo la cuerda lista y lo hago ya",
        ],
    )
    .message(),
    // --- Self-harm. ----------------------------------------------------------------
    rule(
        "es_autolesion",
        SelfHarm,
        r"\bme (autolesione|autolesiono|estoy autolesionando|voy a autolesionar|mutile|mutilo)\b|\bautolesionarme\b|\bme (estoy haciendo|hago) dano\b|\bme (estoy lastimando|lastime a proposito|lastimo a proposito)\b|\b(necesito|quiero|ganas de) (hacerme dano|lastimarme|cortarme)\b|\bcortarme (otra vez|de nuevo)\b|\bme (corte|corto) (otra vez|de nuevo|a proposito|las munecas|los brazos|las piernas|los muslos)\b|\bvolvi a (cortarme|autolesionarme|hacerme dano)\b|\brecai\b.{0,40}\bsin (cortarme|autolesionarme|hacerme dano)\b|\blos cortes (son|estan) (cada vez )?mas profundos\b|\bhasta sangrar\b|\bme golpeo la cabeza contra\b|\bme quemo con (un|el|una|la|mi) (encendedor|mechero|cigarro|cigarrillo|plancha)\b|\bcuchilla escondida\b|\bno paro de cortarme\b",
        &[
            "hoy me corté otra vez y no paro de llorar",
            "los cortes son cada vez más profundos",
            "me autolesioné en el baño del cole",
            "me corté otra vez anoche",
            "me estoy haciendo daño y no sé parar",
            "me golpeo la cabeza contra la pared",
            "me rasco los brazos hasta sangrar",
            "necesito hacerme daño para sentir algo",
            "tengo muchísimas ganas de cortarme ahora",
            "tengo una cuchilla escondida debajo de la cama",
            "me quemo con el encendedor cuando estoy así",
            "me corto los muslos para que nadie lo vea",
            "me lastimé a propósito en el baño de la escuela",
        ],
    ),
    // --- Intent to harm others. ------------------------------------------------------
    rule(
        "es_matar_a_alguien",
        HarmToOthers,
        r"\bvoy a matar(lo|la|los|las)?( a (mi|su|ese|esa|el|la|los|todos|alguien)\b| a\b|$)|\b(lo|la|los) voy a matar\b",
        &[
            "voy a matar a mi padrastro cuando llegue",
            "si me deja la voy a matar, lo digo en serio",
        ],
    )
    .figurative()
    .message()
    .requires(SERIO),
    rule(
        "es_si_me_deja",
        HarmToOthers,
        r"\bsi (me deja|me dejas|se va|me engana|me enganas)\b.{0,20}\b(la|lo) mato\b",
        &["si se va con otro la mato"],
    )
    .message(),
    rule(
        "es_danar_a_otros",
        HarmToOthers,
        r"\b(ganas de|quiero|voy a) (apunalar\w*|acuchillar\w*|disparar(le|les)?|envenenar\w*|ahorcar(lo|la))\b|\bquemar(le|les)? (la|su) casa\b|\b(llevo|llevar|voy a llevar) (la|una|mi) (pistola|arma|escopeta|cuchillo)\b.{0,30}\b(colegio|escuela|trabajo|instituto|clase|prepa)\b|\besperandol[oa]\b.{0,30}\bcon (un|una|el|la|mi) (bate|cuchillo|pistola|arma|navaja)\b|\b(hacerle dano|lastimar|hacer dano) a mi (bebe|hij[oa]|ninos|hijos)\b|\b(quiero|voy a|ganas de) (hacerle dano|lastimar|herir|golpear) a (mi|ese|esa)\b.{0,40}\b(ya pense|ya se) como\b",
        &[
            "tengo ganas de apuñalarlo y no es broma",
            "voy a quemarle la casa",
            "mañana llevo la pistola de mi papá al colegio",
            "estoy esperándolo fuera de su casa con un bate",
            "tengo miedo de hacerle daño a mi bebé",
        ],
    )
    .message(),
    // --- Abuse or danger now. --------------------------------------------------------
    rule(
        "es_me_pega",
        DangerNow,
        r"\bme (pega|pego|golpea|golpeo|esta pegando|esta golpeando|acaba de pegar|acaba de golpear|va a pegar|ahorco|ahorca|estrangulo|estrangula|asfixio|viola|violo|manosea|quemo|quema|empujo|encerro|encierra|tiene encerrad[oa])\b|\bme toca cuando\b|\bmiedo de (volver|regresar|ir) a (casa|mi casa)\b|\bmiedo de que me (haga dano|pegue|mate|lastime)\b|\bamenaz\w* con (matarme|pegarme|hacerme dano|lastimarme)\b|\b(dijo|dice) que me va a (matar|pegar)\b|\b(me esta|me estan|me viene) siguiendo\b|\bme persigue\b|\borden de (alejamiento|restriccion)\b",
        &[
            "alguien me está siguiendo y estoy sola en la calle",
            "está golpeando la puerta y tengo miedo de que me haga daño",
            "me ahorcó anoche y tengo marcas en el cuello",
            "me tiene encerrada y me quitó el teléfono",
            "mi ex está afuera de mi casa y tiene orden de alejamiento",
            "mi novio me acaba de pegar y estoy encerrada en el baño",
            "mi padrastro me pega cuando bebe y está bebiendo ahora",
            "mi tío me toca cuando mis papás no están",
            "tengo miedo de volver a casa, mi papá me va a pegar",
            "mi marido amenazó con matarme si me voy",
            "grita y rompe todo, tengo miedo de que me pegue",
        ],
    )
    .unless(r"\bse me pega\b|\bme pega (la|el|una|un) (cancion|ritmo|gripe|resfriado)\b"),
];

#[cfg(test)]
mod tests {
    use crate::domain::safety::explain;

    /// Spanish look-alikes, written like the train negatives: idioms,
    /// negations, someone else, the past, talk about the topic.
    #[test]
    fn spanish_look_alikes_are_not_flagged() {
        let fired: Vec<String> = [
            "me muero de risa jajaja",
            "me muero de hambre, ¿pedimos algo?",
            "casi me muero del susto",
            "este tráfico me está matando",
            "mi madre me va a matar cuando vea el coche",
            "el examen me mató",
            "estoy muerta de cansancio",
            "no quiero morir, solo estoy agotada",
            "no me voy a matar jaja, solo estoy harta del casero",
            "no tengo pensamientos suicidas, solo mucho estrés",
            "nunca me haría daño, solo necesito desahogarme",
            "hace dos años que no me corto y no pienso volver",
            "mi amiga dice que quiere morirse, ¿cómo la ayudo?",
            "mi hermano me contó que se corta, ¿qué hago?",
            "hace años tuve pensamientos suicidas, pero la terapia me ayudó mucho",
            "cuando tenía 16 intenté suicidarme, ahora tengo 30 y estoy bien",
            "mi trabajo de sociología es sobre Durkheim y el suicidio",
            "¿qué significa \"unalive\" en tiktok?",
            "no quiero vivir con mis padres toda la vida",
            "mi papá está regalando sus cosas y me preocupa",
            "he estado pensando en cambiar de trabajo",
        ]
        .iter()
        .filter(|m| !explain(m).is_empty())
        .map(|m| format!("{m:?} -> {:?}", explain(m)))
        .collect();
        assert!(fired.is_empty(), "false alarms:\n{}", fired.join("\n"));
    }
}
