"""The words of the demo community: templates in French and English, filled from a seeded random.Random.

Everything here is invented for the demo: the people, the cats, the shops and the links (every domain is
a reserved example domain or an obviously fake one). Texts are composed from parts (opener, body, detail,
closer) so that two messages rarely read the same, except where the demo wants them to (reposts).
"""

from __future__ import annotations

from collections.abc import Sequence
from random import Random
from typing import TypeVar

T = TypeVar("T")

LANGUAGES = ("fr", "en")

FIRST_NAMES = {
    "fr": [
        "Camille",
        "Nathalie",
        "Sophie",
        "Isabelle",
        "Sandrine",
        "Céline",
        "Aurélie",
        "Julie",
        "Claire",
        "Martine",
        "Véronique",
        "Stéphanie",
        "Émilie",
        "Laurence",
        "Christine",
        "Hélène",
        "Valérie",
        "Pascale",
        "Manon",
        "Chloé",
        "Léa",
        "Inès",
        "Thomas",
        "Nicolas",
        "Julien",
        "Pierre",
        "Olivier",
        "Sébastien",
        "Jean-Marc",
        "Philippe",
        "Benoît",
        "Yannick",
        "Mathieu",
        "Karim",
        "Amandine",
        "Bérénice",
        "Gaëlle",
        "Maëlys",
        "Noémie",
        "Solène",
        "Fabienne",
        "Josiane",
        "Marie-Claude",
    ],
    "en": [
        "Jennifer",
        "Sarah",
        "Emily",
        "Karen",
        "Linda",
        "Rachel",
        "Megan",
        "Laura",
        "Heather",
        "Amanda",
        "Jessica",
        "Donna",
        "Patricia",
        "Susan",
        "Michelle",
        "Lisa",
        "Amy",
        "Kelly",
        "Hannah",
        "Olivia",
        "Grace",
        "Chloe",
        "Michael",
        "David",
        "James",
        "Robert",
        "Mark",
        "Steve",
        "Brian",
        "Kevin",
        "Tom",
        "Daniel",
        "Paul",
        "Greg",
        "Nancy",
        "Debbie",
        "Becky",
        "Tracy",
        "Wendy",
        "Joanne",
        "Priya",
        "Aisha",
        "Mei",
    ],
}
LAST_INITIALS = "ABCDEFGHIJKLMNOPRSTVWY"

CATS = [
    "Minou",
    "Félix",
    "Tigrou",
    "Moustache",
    "Caramel",
    "Réglisse",
    "Pompon",
    "Filou",
    "Chaussette",
    "Grisou",
    "Biscotte",
    "Nala",
    "Simba",
    "Luna",
    "Oscar",
    "Milo",
    "Tiger",
    "Smokey",
    "Shadow",
    "Ginger",
    "Whiskers",
    "Mittens",
    "Pumpkin",
    "Jasper",
    "Bella",
    "Cleo",
    "Loki",
    "Pixel",
    "Muffin",
    "Noisette",
    "Praline",
    "Gribouille",
    "Zorro",
    "Sushi",
    "Mochi",
    "Pepper",
    "Socks",
    "Tux",
    "Oreo",
]
INSULINS = ["Caninsulin", "ProZinc", "Lantus", "Levemir", "Semglee"]

# --- helpers -------------------------------------------------------------------------------------------


def pick(rng: Random, options: Sequence[T]) -> T:
    """rng.choice, three times faster: one random() instead of rejection sampling on getrandbits."""
    return options[int(rng.random() * len(options))]


def _glucose(rng: Random, lang: str, *, high: bool = False) -> str:
    low, top = (250, 550) if high else (60, 320)
    mg = rng.randrange(low, top, 5)
    if lang == "fr":
        return f"{mg / 100:.2f}".replace(".", ",") + " g/L"
    if rng.random() < 0.35:
        return f"{mg / 18:.1f} mmol/L"
    return f"{mg} mg/dL"


def _units(rng: Random, lang: str) -> str:
    value = pick(rng, [0.5, 1, 1, 1.5, 2, 2, 2.5, 3, 4, 5])
    text = f"{value:g}"
    return (
        (text.replace(".", ",") + (" UI" if rng.random() < 0.6 else " unités"))
        if lang == "fr"
        else f"{text} {'unit' if value == 1 else 'units'}"
    )


class _Slots(dict[str, str]):
    """Values for the placeholders, drawn only when a template asks for them (format_map)."""

    def __init__(self, rng: Random, lang: str) -> None:
        super().__init__()
        self.rng, self.lang = rng, lang

    def __missing__(self, key: str) -> str:
        rng, lang = self.rng, self.lang
        if key == "cat":
            value = pick(rng, CATS)
        elif key == "insulin":
            value = pick(rng, INSULINS)
        elif key == "units":
            value = _units(rng, lang)
        elif key in ("bg", "bg_high"):
            value = _glucose(rng, lang, high=key == "bg_high")
        elif key == "age":
            value = str(rng.randrange(6, 18))
        elif key == "weeks":
            value = str(rng.randrange(2, 12))
        elif key == "hours":
            value = str(pick(rng, [2, 3, 4, 5, 6, 8, 10, 12]))
        elif key == "kg":
            value = f"{rng.uniform(3.2, 7.5):.1f}".replace(".", "," if lang == "fr" else ".")
        else:
            raise KeyError(key)
        self[key] = value
        return value


def _slots(rng: Random, lang: str) -> _Slots:
    return _Slots(rng, lang)


def _fill(
    rng: Random, lang: str, parts: list[list[str]], slots: dict[str, str] | None = None
) -> str:
    pieces = [pick(rng, options) for options in parts]
    return " ".join(p for p in pieces if p).format_map(
        _slots(rng, lang) if slots is None else slots
    )


# --- channels ----------------------------------------------------------------------------------------

CHANNELS = [
    # (external id, name, kind of talk)
    ("annonces", "Annonces / Announcements", "announcement"),
    ("presentations", "Présentations / Introductions", "intro"),
    ("insuline", "Insuline et doses / Insulin and doses", "question"),
    ("courbes", "Courbes de glycémie / Glucose curves", "question"),
    ("alimentation", "Alimentation / Food and diet", "question"),
    ("veto", "Vétérinaires et analyses / Vets and lab work", "question"),
    ("remission", "Rémission / Remission stories", "story"),
    ("arc-en-ciel", "Pont de l'arc-en-ciel / Rainbow bridge", "grief"),
    ("bla-bla", "Bla-bla / Off-topic", "chat"),
]
QUESTION_CHANNELS = ["insuline", "courbes", "alimentation", "veto"]

# --- questions (a member starts a thread) ------------------------------------------------------------

TITLES = {
    "fr": {
        "insuline": [
            "Dose de {insulin}\u00a0: trop ou pas assez\u202f?",
            "Passage de Caninsulin à ProZinc",
            "Injection ratée, je refais\u202f?",
            "{cat} refuse la piqûre du soir",
            "Combien de temps pour trouver la bonne dose\u202f?",
            "Stylo ou seringue U40\u202f?",
        ],
        "courbes": [
            "Ma première courbe de glycémie",
            "Courbe bizarre ce week-end",
            "Nadir à {bg}, c'est normal\u202f?",
            "{cat} à {bg_high} le matin",
            "Glucomètre humain ou véto\u202f?",
            "Capteur FreeStyle Libre sur un chat\u202f?",
        ],
        "alimentation": [
            "Quelle pâtée pauvre en glucides\u202f?",
            "{cat} ne veut plus manger sa pâtée",
            "Croquettes et diabète, vraiment à bannir\u202f?",
            "Friandises autorisées\u202f?",
            "Alimentation crue (BARF) et diabète",
        ],
        "veto": [
            "Fructosamine à refaire\u202f?",
            "Bilan sanguin de {cat}, vous en pensez quoi\u202f?",
            "Véto qui ne connaît pas bien le diabète félin",
            "Urgence\u00a0: {cat} très faible",
            "Deuxième avis vétérinaire",
        ],
    },
    "en": {
        "insuline": [
            "{insulin} dose: too much or not enough?",
            "Switching from Caninsulin to ProZinc",
            "Missed shot, should I redo it?",
            "{cat} hates the evening shot",
            "How long to find the right dose?",
            "Pen or U-40 syringe?",
        ],
        "courbes": [
            "My first glucose curve",
            "Weird curve this weekend",
            "Nadir at {bg}, is that normal?",
            "{cat} at {bg_high} in the morning",
            "Human meter or vet's?",
            "Libre sensor on a cat?",
        ],
        "alimentation": [
            "Which low-carb wet food?",
            "{cat} stopped eating his wet food",
            "Is dry food really that bad?",
            "Which treats are safe?",
            "Raw feeding and diabetes",
        ],
        "veto": [
            "Should we redo the fructosamine?",
            "{cat}'s bloodwork, what do you think?",
            "My vet doesn't know much about feline diabetes",
            "Urgent: {cat} very weak",
            "Getting a second opinion",
        ],
    },
}

QUESTION = {
    "fr": [
        ["Bonjour à tous,", "Bonsoir,", "Coucou tout le monde\u202f!", "Bonjour,", "Hello,", ""],
        [
            "{cat}, {age} ans, est diabétique depuis {weeks} semaines et il est sous {insulin} "
            "à {units} deux fois par jour.",
            "ma minette {cat} ({kg} kg) a été diagnostiquée il y a {weeks} semaines, elle a {units} de {insulin}.",
            "je fais les courbes de {cat} à la maison depuis peu\u00a0: ce matin {bg_high} avant l'injection, "
            "{bg} {hours} h après.",
            "mon véto a passé {cat} sous {insulin} mais la glycémie reste vers {bg_high}.",
            "{cat} boit et urine énormément depuis quelques jours alors qu'il est sous {insulin}.",
        ],
        [
            "Est-ce que je dois augmenter la dose\u202f?",
            "Vous pensez que c'est l'effet Somogyi\u202f?",
            "Est-ce normal d'avoir des valeurs aussi hautes\u202f?",
            "Comment vous faites pour la prise de sang à l'oreille\u202f?",
            "Quelle pâtée lui donner avant l'injection\u202f?",
            "Je n'ose rien changer sans votre avis.",
            "Faut-il que je rappelle le véto en urgence\u202f?",
        ],
        [
            "Merci d'avance 🙏",
            "Merci pour vos conseils\u202f!",
            "Je suis un peu perdue...",
            "Bonne soirée à tous.",
            "",
        ],
    ],
    "en": [
        ["Hi everyone,", "Hello all,", "Hey folks,", "Hi,", "Good evening,", ""],
        [
            "{cat} ({age} years old) was diagnosed {weeks} weeks ago and is on {units} of {insulin} twice a day.",
            "my girl {cat} ({kg} kg) has been on {insulin} for {weeks} weeks, currently {units}.",
            "I just started home testing {cat}: {bg_high} before the shot this morning and {bg} {hours} hours later.",
            "our vet put {cat} on {insulin} but the numbers stay around {bg_high}.",
            "{cat} is drinking and peeing a lot again even though he's on {insulin}.",
        ],
        [
            "Should I raise the dose?",
            "Could this be a Somogyi rebound?",
            "Are numbers this high normal?",
            "How do you get blood from the ear without stressing them?",
            "What should I feed before the shot?",
            "I don't want to change anything without asking here first.",
            "Should I call the emergency vet?",
        ],
        [
            "Thanks in advance 🙏",
            "Any advice welcome!",
            "Feeling a bit lost...",
            "Thank you all.",
            "",
        ],
    ],
}

REPLY = {
    "fr": [
        [
            "",
            "Bonjour,",
            "Courage\u202f!",
            "Ah je connais ça.",
            "Pas de panique.",
            "Bienvenue au club...",
        ],
        [
            "Ne change jamais la dose sans courbe complète, c'est la règle d'or ici.",
            "Chez nous {cat} a mis {weeks} semaines à se stabiliser avec {insulin}.",
            "Un nadir à {bg} c'est plutôt correct, regarde surtout la tendance sur plusieurs jours.",
            "La pâtée sans céréales a tout changé pour {cat}, moins de 10 % de glucides.",
            "Vérifie bien que tu mélanges le flacon en le roulant doucement, pas en le secouant.",
            "Si elle est en dessous de {bg} avant la piqûre, on ne pique pas et on appelle le véto.",
            "Le stress chez le véto fait souvent grimper les chiffres, la courbe maison est plus fiable.",
            "Un peu de miel sur les gencives s'il fait une hypo, et direction le véto.",
            "On a testé la fructosamine à {weeks} semaines, c'était bien plus parlant.",
        ],
        [
            "",
            "Tiens-nous au courant.",
            "Bon courage à vous deux.",
            "Tu n'es pas seule\u202f!",
            "Des caresses à {cat}.",
        ],
    ],
    "en": [
        [
            "",
            "Hi,",
            "Hang in there!",
            "Been there.",
            "Don't panic.",
            "Welcome to the club nobody wants to join...",
        ],
        [
            "Never change the dose without a full curve, that's the golden rule here.",
            "It took {cat} {weeks} weeks to regulate on {insulin}.",
            "A nadir of {bg} is actually decent, look at the trend over several days.",
            "Switching to low-carb wet food changed everything for {cat}, under 10% carbs.",
            "Make sure you roll the vial gently rather than shaking it.",
            "If the pre-shot number is under {bg}, don't shoot and call your vet.",
            "Vet stress pushes the numbers up, home curves are much more reliable.",
            "Rub a little honey on the gums if he goes hypo, then straight to the vet.",
            "We ran a fructosamine after {weeks} weeks and it told us much more.",
        ],
        [
            "",
            "Keep us posted.",
            "Good luck to you both.",
            "You're not alone!",
            "Chin scratches to {cat}.",
        ],
    ],
}

COMMENT = {
    "fr": [
        "Merci beaucoup, ça me rassure.",
        "Pareil pour nous\u202f!",
        "+1, très bon conseil.",
        "Ah je ne savais pas\u202f!",
        "Trop mignon {cat} 😻",
        "Merci, je fais ça ce soir.",
        "Exactement ce que notre véto a dit.",
        "Tu as une photo de la courbe\u202f?",
        "On croise les pattes pour {cat} 🤞",
        "Bravo pour la rémission\u202f!!",
    ],
    "en": [
        "Thank you so much, that helps.",
        "Same here!",
        "+1, great advice.",
        "I didn't know that!",
        "{cat} is adorable 😻",
        "Thanks, will try tonight.",
        "Exactly what our vet said.",
        "Can you post the curve?",
        "Paws crossed for {cat} 🤞",
        "Congrats on the remission!!",
    ],
}

STORY = {
    "fr": [
        "Rémission pour {cat} après {weeks} semaines d'{insulin}\u202f! Merci à tous pour votre aide.",
        "{cat} a fêté ses {age} ans aujourd'hui, toujours stable à {units}.",
        "Un an de diabète aujourd'hui pour {cat}. Je n'y serais jamais arrivée sans ce groupe.",
    ],
    "en": [
        "{cat} is in remission after {weeks} weeks of {insulin}! Thank you all so much.",
        "{cat} turned {age} today and is still stable on {units}.",
        "One year since diagnosis for {cat} today. I couldn't have done it without this group.",
    ],
}
GRIEF = {
    "fr": [
        "{cat} est parti ce matin, à {age} ans. Merci pour tout.",
        "Le pont de l'arc-en-ciel a un nouveau pensionnaire\u00a0: {cat}. Il s'est battu jusqu'au bout.",
    ],
    "en": [
        "{cat} crossed the rainbow bridge this morning, aged {age}. Thank you for everything.",
        "We said goodbye to {cat} today. He fought until the end.",
    ],
}
CHAT = {
    "fr": [
        "Qui d'autre a un chat qui dort sur le glucomètre\u202f? 😂",
        "Photo du jour\u00a0: {cat} au soleil.",
        "Vos astuces pour partir en vacances avec un chat diabétique\u202f?",
        "Bonne année à tous les poilus\u202f!",
    ],
    "en": [
        "Anyone else's cat sleeping on the meter? 😂",
        "Picture of the day: {cat} in the sun.",
        "Tips for travelling with a diabetic cat?",
        "Happy new year to all the fur babies!",
    ],
}

STAFF_TITLES = {
    "fr": [
        "Fiche pratique\u00a0: faire une courbe de glycémie à la maison",
        "Rappel des règles du groupe",
        "Live questions-réponses avec une vétérinaire jeudi",
        "Fiche\u00a0: reconnaître une hypoglycémie",
        "Nouveau\u00a0: le tableau de suivi à télécharger",
        "Sondage\u00a0: quelle insuline utilisez-vous\u202f?",
    ],
    "en": [
        "How-to: doing a glucose curve at home",
        "Group rules reminder",
        "Live Q&A with a vet on Thursday",
        "Fact sheet: spotting hypoglycaemia",
        "New: a printable tracking chart",
        "Poll: which insulin do you use?",
    ],
}
STAFF_BODY = {
    "fr": [
        "Bonjour à toutes et à tous\u202f! {title}. Tout est expliqué ci-dessous, n'hésitez pas à poser vos "
        "questions en commentaire. Rappel\u00a0: on ne change jamais une dose sans l'avis de son vétérinaire.",
        "{title}\u00a0: merci de rester bienveillants, chacun ici traverse un moment difficile. "
        "Les messages publicitaires seront supprimés.",
    ],
    "en": [
        "Hello everyone! {title}. Everything is explained below, ask your questions in the comments. "
        "Reminder: never change a dose without your vet's advice.",
        "{title}: please stay kind, everyone here is going through a hard time. "
        "Advertising will be removed.",
    ],
}

INTRO = {
    "fr": [
        [
            "Bonjour, je suis {name} et voici {cat}, {age} ans.",
            "Coucou, nouvelle ici\u202f!",
            "Bonjour à tous, je viens de m'inscrire.",
        ],
        [
            "{cat} a été diagnostiqué diabétique il y a {weeks} semaines.",
            "Le véto vient de nous annoncer le diabète.",
            "Il est sous {insulin} depuis peu.",
        ],
        [
            "Ravie d'avoir trouvé ce groupe.",
            "J'ai déjà beaucoup appris en vous lisant.",
            "Un peu perdue mais motivée\u202f!",
        ],
    ],
    "en": [
        ["Hi, I'm {name} and this is {cat}, {age}.", "Hello, new here!", "Hi all, just joined."],
        [
            "{cat} was diagnosed {weeks} weeks ago.",
            "Our vet just told us it's diabetes.",
            "He recently started {insulin}.",
        ],
        [
            "So glad I found this group.",
            "I've already learned a lot lurking here.",
            "A bit overwhelmed but ready!",
        ],
    ],
}

# --- trouble -------------------------------------------------------------------------------------------

PROMO_INTRO = {
    "fr": [
        "Bonjour\u202f! Je suis {name}, comportementaliste félin certifiée. Je propose des consultations en ligne "
        "à -20 % pour les membres du groupe\u00a0: {link} 🐾 N'hésitez pas à me contacter en MP\u202f!",
        "Hello, je suis {name} et j'ai créé ma boutique de pâtées artisanales sans céréales, idéales pour les "
        "chats diabétiques. Code PROMO CHAT10 sur {link}",
        "Bonjour, {name}, pet-sitter à domicile sur Lyon et environs, j'ai l'habitude des injections "
        "d'insuline. Réservations sur {link} ou par MP.",
    ],
    "en": [
        "Hi! I'm {name}, a certified cat behaviourist. I offer online consultations at 20% off for group "
        "members: {link} 🐾 Feel free to DM me!",
        "Hello, I'm {name} and I just launched my shop of grain-free handmade cat food, perfect for diabetic "
        "cats. Use code CAT10 at {link}",
        "Hi, {name} here, in-home pet sitter, experienced with insulin shots. Book at {link} or DM me.",
    ],
}
PROMO_LINKS = [
    "https://www.chatzen-consult.example/offre",
    "https://patee-maison.example/boutique",
    "https://sitterpro.example/reserver",
    "https://felinecoach.example/booking",
]

SPAM = {
    "fr": [
        "Je gagne 3000 € par semaine depuis chez moi grâce au trading crypto\u202f!!! Écrivez-moi sur {link}",
        "Abonnez-vous à ma chaîne, vidéos de chats trop drôles 😹👉 {link}",
        "Médicaments pour animaux SANS ORDONNANCE, livraison rapide et discrète\u00a0: {link}",
        "Insuline pas chère livrée en 24h, sans ordonnance, paiement en bitcoin\u00a0: {link}",
        "Madame j'ai trouvé la solution naturelle qui GUÉRIT le diabète en 7 jours\u00a0: {link}",
    ],
    "en": [
        "I make $3,000 a week from home with crypto trading!!! Message me at {link}",
        "Check out my channel, funniest cat videos ever 😹👉 {link}",
        "Cheap pet meds, NO PRESCRIPTION needed, fast discreet shipping: {link}",
        "Cheap insulin shipped in 24h, no prescription, pay with bitcoin: {link}",
        "I found the natural remedy that CURES diabetes in 7 days: {link}",
    ],
}
SPAM_LINKS = [
    "https://bit.ly/3xCrYpt0",
    "https://crypto-gains.example/vip",
    "https://t.me/fastprofits_example",
    "https://youtube.example/@funnycatz",
    "https://cheap-rx-pets.example",
    "https://tinyurl.example/cure7",
]

HEATED = {
    "fr": [
        "Franchement, les croquettes ce n'est pas de la nourriture pour un chat diabétique, point.",
        "Je ne suis pas d'accord du tout, mon véto dit exactement l'inverse.",
        "Tu devrais lire les fiches avant de donner des conseils dangereux.",
        "Encore ce débat... chacun fait comme il peut avec son budget\u202f!",
        "Dire ça à quelqu'un qui vient de perdre son chat, sérieusement\u202f?",
    ],
    "en": [
        "Honestly, dry food is not food for a diabetic cat, period.",
        "I completely disagree, my vet says the exact opposite.",
        "You should read the fact sheets before giving dangerous advice.",
        "This debate again... everyone does what they can on their budget!",
        "Saying that to someone who just lost their cat, seriously?",
    ],
}
INSULT = {
    "fr": [
        "T'es vraiment une idiote, c'est toi qui vas tuer ton chat.",
        "Ferme-la, tu ne sais pas de quoi tu parles.",
        "Quelle bande de crétins dans ce groupe.",
        "Pauvre conne, retourne sur Doctissimo.",
        "Les modos ici sont des incapables, vous me dégoûtez.",
    ],
    "en": [
        "You're an idiot, you're the one who's going to kill your cat.",
        "Shut up, you have no clue.",
        "What a bunch of morons in this group.",
        "Get lost, you stupid troll.",
        "The mods here are useless, you disgust me.",
    ],
}

BOT_WELCOME = {
    "fr": "Bienvenue {name}\u202f! 🐱 Pensez à lire la fiche «\u00a0Faire une courbe de glycémie\u00a0» "
    "épinglée dans Annonces.",
    "en": 'Welcome {name}! 🐱 Have a look at the pinned "Doing a glucose curve" guide in Announcements.',
}
BOT_REMINDER_TITLE = {
    "fr": "Rappel hebdo\u00a0: courbes et carnet de suivi",
    "en": "Weekly reminder: curves and log book",
}
BOT_REMINDER = {
    "fr": "Rappel automatique\u00a0: notez chaque glycémie et chaque dose dans votre carnet, et partagez vos courbes "
    "complètes (toutes les 2 h) quand vous demandez un avis.",
    "en": "Automatic reminder: log every reading and every dose, and share full curves (every 2 hours) "
    "when you ask for advice.",
}
REACTIONS = ["❤️", "👍", "🙏", "😻", "🤞", "😢", "👏"]


# --- public functions --------------------------------------------------------------------------------


def member_name(rng: Random, lang: str) -> str:
    return f"{pick(rng, FIRST_NAMES[lang])} {pick(rng, LAST_INITIALS)}."


def question(rng: Random, lang: str, channel: str) -> tuple[str, str]:
    """A member's new thread in a question channel: (title, text)."""
    slots = _slots(rng, lang)
    title = pick(rng, TITLES[lang][channel]).format_map(slots)
    return title, _fill(rng, lang, QUESTION[lang], slots)


def reply(rng: Random, lang: str) -> str:
    return _fill(rng, lang, REPLY[lang])


def comment(rng: Random, lang: str) -> str:
    return pick(rng, COMMENT[lang]).format_map(_slots(rng, lang))


def story(rng: Random, lang: str, channel: str) -> tuple[str, str]:
    pool = {"remission": STORY, "arc-en-ciel": GRIEF}.get(channel, CHAT)[lang]
    text = pick(rng, pool).format_map(_slots(rng, lang))
    return text.split(".")[0].split("!")[0][:80], text


def staff_post(rng: Random, lang: str) -> tuple[str, str]:
    title = pick(rng, STAFF_TITLES[lang])
    return title, pick(rng, STAFF_BODY[lang]).format(title=title)


def intro(rng: Random, lang: str, name: str) -> tuple[str, str]:
    slots = _slots(rng, lang)
    slots["name"] = name.split(" ")[0]
    title = "Présentation de {cat}" if lang == "fr" else "Hello from {cat}"
    return title.format_map(slots), _fill(rng, lang, INTRO[lang], slots)


def promo_intro(rng: Random, lang: str, name: str) -> tuple[str, str]:
    text = pick(rng, PROMO_INTRO[lang]).format(name=name.split(" ")[0], link=pick(rng, PROMO_LINKS))
    return ("Présentation" if lang == "fr" else "Introduction"), text


def spam(rng: Random, lang: str) -> str:
    return pick(rng, SPAM[lang]).format(link=pick(rng, SPAM_LINKS))


def near_duplicate(rng: Random, text: str) -> str:
    """The same message lightly edited, as spammers and cross-posters do to dodge exact-match filters."""
    edits = [
        lambda t: t.upper(),
        lambda t: t + " " + pick(rng, ["!!", "🔥", "✅", "💯"]),
        lambda t: t.replace(" ", "  ", 1),
        lambda t: pick(rng, ["URGENT ", "Re: ", "📢 "]) + t,
        lambda t: t.rstrip("!?.🙏 \u202f") + ".",
    ]
    return pick(rng, edits)(text)


def heated(rng: Random, lang: str) -> str:
    return pick(rng, HEATED[lang])


def insult(rng: Random, lang: str) -> str:
    return pick(rng, INSULT[lang])


def reaction(rng: Random) -> str:
    return pick(rng, REACTIONS)
