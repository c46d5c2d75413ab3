/// Words shared by every niche: names, bio endings, post templates and posts about nothing in particular.
enum Vocabulary {
    static let firstNames = [
        "Ana", "Ben", "Chloe", "Dev", "Elena", "Farid", "Grace", "Hiro", "Ines", "Jonas", "Kemi", "Liam", "Maya", "Nikhil",
        "Olga", "Pablo", "Quinn", "Rosa", "Sam", "Tariq", "Uma", "Victor", "Wen", "Ximena", "Yusuf", "Zoe", "Amara", "Bruno",
        "Carmen", "Diego", "Emeka", "Freya", "Gabriel", "Hana", "Ivan", "Jade", "Kai", "Lucia", "Marco", "Nora", "Omar",
        "Priya", "Rafael", "Sofia", "Theo", "Valentina", "Will", "Yara", "Zain", "Aiko", "Lena", "Mateo", "Noah", "Sara",
    ]
    static let lastNames = [
        "Garcia", "Kim", "Okafor", "Nguyen", "Müller", "Rossi", "Silva", "Patel", "Cohen", "Novak", "Tanaka", "Dubois",
        "Johansson", "Mensah", "Kowalski", "Haddad", "Costa", "Ivanova", "Lee", "Smith", "Brown", "Khan", "Moreau", "Santos",
        "Fischer", "Ali", "Yamamoto", "Ortiz", "Andersen", "Popescu", "Reyes", "Chen", "Walker", "Bianchi", "Adeyemi",
    ]
    static let bioEndings = [
        "opinions my own", "DMs open", "new posts every week", "based in Lisbon", "based in Austin", "London",
        "Toronto", "Berlin", "Lagos", "Singapore", "São Paulo", "newsletter below", "coffee addict", "she/her", "he/him",
        "they/them", "sharing what I learn", "",
    ]
    /// `{a}` and `{b}` are niche keywords, `{topic}` a niche topic, `{n}` a small number.
    static let postTemplates = [
        "Hot take: {a} matters more than {b}.",
        "{n} things I wish I knew about {a} before I started.",
        "Spent the weekend on {a}. The surprise was how much {b} changed.",
        "Unpopular opinion: most advice about {topic} gets {a} wrong.",
        "Quick tip for {topic}: start with {a}, then worry about {b}.",
        "Thread: everything I learned about {a} this year.",
        "If you only fix one thing, fix {a}. {b} can wait.",
        "Week {n} of {topic}: {a} is finally clicking.",
        "Why is nobody talking about {a}? It quietly fixes {b}.",
        "My honest review of {a} after {n} months.",
        "{a} vs {b}: which one would you pick?",
        "Beginner mistake I still make: ignoring {a}.",
        "Today's {topic} notes: {a}, {b}, and a lot of patience.",
        "Saving this for anyone getting into {topic}: {a} first.",
    ]
    /// Sentences that make a post long; they take {a}, {b}, {topic} and {n} like the templates.
    static let detailSentences = [
        "I tracked it for {n} weeks and wrote down every result, the good and the bad, so you do not have to repeat my mistakes.",
        "The short version: consistency beats intensity, and {a} rewards the people who keep showing up on the boring days.",
        "What surprised me most was how much {b} depends on small habits that nobody bothers to talk about in public.",
        "Most of the advice you will read about {topic} skips the part where you have to adapt it to your own situation.",
        "If I started again today, I would spend the first month on the basics and ignore every shiny new trick.",
    ]
    /// Questions a post can end with.
    static let questions = [
        "What would you add?", "Has anyone else tried {a}?", "Which would you pick?", "What am I missing?", "How do you handle {b}?",
    ]
    /// Short first lines that open a post.
    static let hooks = [
        "Stop scrolling.", "Nobody tells you this:", "I was wrong about this.", "Here's the truth:", "This changed everything for me.",
        "Read this before you start.",
    ]
    static let emoji = ["🔥", "💡", "🚀", "✅", "🙌", "📈", "💪", "✨"]
    static let genericPosts = [
        "Good morning everyone, coffee first.", "Thank you for 10k followers!", "Taking a few days off to recharge.",
        "New week, new goals.", "Grateful for this community.", "What are you working on this weekend?",
        "Drop your best advice below.", "Long day, early night.", "Back from a short break, lots to share.",
        "Reminder to drink some water.", "Happy Friday!", "Who else is up this early?", "Big announcement coming soon.",
        "Answering your questions tonight.", "This made my day.",
    ]
    static let genericHashtags = ["motivation", "mondaymotivation", "grateful", "community", "weekend"]
}
