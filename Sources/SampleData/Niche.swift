/// A creator niche: what its creators write about, when, and where.
///
/// The catalogue is hand-written: words and hashtags a creator of the niche
/// actually uses, hours of the week its audience is online, and its platforms.
/// Neighbouring niches share some words (startups and AI, crypto and personal
/// finance, fitness and cooking), so cohorts are not trivially separable.
public struct Niche: Sendable, Hashable {
    /// A short id, e.g. `personal_finance`.
    public let id: String
    /// Topics, without `#`.
    let topics: [String]
    /// Hashtags, without `#`.
    let hashtags: [String]
    /// Words and short phrases of the niche.
    let keywords: [String]
    /// Ways a creator of the niche describes themself.
    let bioPhrases: [String]
    /// Hours (UTC, 0–23) its creators habitually post at (not the hours its audience is most online: see ``AudienceActivity``).
    let peakHours: [Int]
    /// The share of its posts that go out on Saturday or Sunday.
    let weekendShare: Double
    /// Platforms, the first the most used.
    let platforms: [String]

    /// The twenty niches of the sample data.
    public static let all: [Niche] = [
        Niche(
            id: "ai", topics: ["llms", "agents", "evals", "machine learning", "rag"],
            hashtags: ["ai", "llm", "machinelearning", "genai", "aiagents"],
            keywords: [
                "LLM", "agents", "evals", "fine-tuning", "RAG", "embeddings", "inference", "prompt engineering", "GPU costs", "open weights", "tokenizer",
                "context window", "benchmarks", "hallucinations", "vector search", "transformers", "model distillation", "tool calling",
            ],
            bioPhrases: ["building AI agents", "ML engineer shipping LLM apps", "writing about evals and inference", "researcher turned AI builder"],
            peakHours: [14, 15, 16, 17], weekendShare: 0.12, platforms: ["x", "linkedin", "threads"]),
        Niche(
            id: "crypto", topics: ["bitcoin", "defi", "ethereum", "onchain"],
            hashtags: ["crypto", "bitcoin", "btc", "eth", "defi"],
            keywords: [
                "bitcoin", "ethereum", "stablecoins", "DeFi yields", "layer 2", "self custody", "halving", "altcoins", "on-chain data", "liquidity pools",
                "gas fees", "cold wallet", "market cycle", "ETF flows", "airdrops", "staking",
            ],
            bioPhrases: ["on-chain analyst", "bitcoin since 2017", "DeFi degen and researcher", "writing about crypto markets"],
            peakHours: [1, 2, 21, 22, 23], weekendShare: 0.3, platforms: ["x", "threads"]),
        Niche(
            id: "fitness", topics: ["strength training", "running", "mobility", "nutrition"],
            hashtags: ["fitness", "gym", "workout", "running", "strengthtraining"],
            keywords: [
                "deadlift", "squats", "progressive overload", "protein intake", "zone 2 cardio", "mobility drills", "rest days", "marathon training",
                "personal record", "hypertrophy", "warm-up", "recovery", "kettlebells", "pull-ups", "meal prep", "VO2 max",
            ],
            bioPhrases: ["strength coach", "marathoner and personal trainer", "helping you lift for life", "certified coach"],
            peakHours: [5, 6, 7, 17, 18], weekendShare: 0.3, platforms: ["instagram", "tiktok", "x"]),
        Niche(
            id: "cooking", topics: ["recipes", "baking", "weeknight dinners", "fermentation"],
            hashtags: ["cooking", "recipe", "foodie", "baking", "homecooking"],
            keywords: [
                "sourdough", "braised short ribs", "weeknight pasta", "cast iron", "knife skills", "homemade stock", "spice blends", "meal prep",
                "roast chicken", "fermentation", "pan sauce", "dumplings", "olive oil", "seasonal vegetables", "recipe testing", "dough hydration",
            ],
            bioPhrases: ["home cook and recipe developer", "chef sharing weeknight recipes", "baking bread every weekend", "food writer"],
            peakHours: [16, 17, 18, 19], weekendShare: 0.4, platforms: ["instagram", "tiktok", "threads"]),
        Niche(
            id: "travel", topics: ["budget travel", "itineraries", "digital nomads", "hidden gems"],
            hashtags: ["travel", "wanderlust", "travelgram", "digitalnomad", "backpacking"],
            keywords: [
                "itinerary", "layover", "hostels", "carry-on only", "train across Europe", "street food", "visa rules", "hidden beaches", "travel insurance",
                "airline miles", "road trip", "old town", "sunrise hike", "local markets", "slow travel", "jet lag",
            ],
            bioPhrases: ["travel writer", "nomad visiting 60 countries", "budget traveler", "sharing itineraries that work"],
            peakHours: [9, 10, 19, 20], weekendShare: 0.45, platforms: ["instagram", "tiktok", "x"]),
        Niche(
            id: "personal_finance", topics: ["investing", "budgeting", "retirement", "index funds"],
            hashtags: ["personalfinance", "investing", "money", "financialfreedom", "budgeting"],
            keywords: [
                "index funds", "emergency fund", "budgeting", "compound interest", "retirement accounts", "debt payoff", "dividends", "net worth",
                "savings rate", "credit score", "expense ratio", "tax-advantaged accounts", "side income", "inflation", "asset allocation", "rebalancing",
            ],
            bioPhrases: ["CFP writing about money", "paid off 80k of debt", "helping you invest simply", "personal finance educator"],
            peakHours: [12, 13, 20, 21], weekendShare: 0.2, platforms: ["x", "linkedin", "tiktok"]),
        Niche(
            id: "gaming", topics: ["esports", "indie games", "speedruns", "game reviews"],
            hashtags: ["gaming", "gamer", "esports", "indiegames", "twitch"],
            keywords: [
                "speedrun", "patch notes", "boss fight", "ranked matches", "indie games", "open world", "controller", "frame rate", "co-op", "loot",
                "game pass", "retro consoles", "stream tonight", "esports finals", "mods", "early access",
            ],
            bioPhrases: ["streamer and speedrunner", "reviewing indie games", "esports caster", "full-time gamer"],
            peakHours: [20, 21, 22, 23, 0], weekendShare: 0.4, platforms: ["x", "tiktok", "threads"]),
        Niche(
            id: "parenting", topics: ["toddlers", "sleep", "family life", "education"],
            hashtags: ["parenting", "momlife", "dadlife", "toddler", "family"],
            keywords: [
                "bedtime routine", "toddler tantrums", "school lunches", "screen time", "sleep regression", "family dinners", "homework help", "potty training",
                "sibling rivalry", "playdates", "daycare", "newborn", "gentle parenting", "reading together", "nap schedule", "teen years",
            ],
            bioPhrases: ["mom of three", "dad writing about family life", "pediatric nurse and parent", "parenting coach"],
            peakHours: [13, 20, 21], weekendShare: 0.3, platforms: ["instagram", "threads", "tiktok"]),
        Niche(
            id: "fashion", topics: ["streetwear", "capsule wardrobe", "sustainable fashion", "styling"],
            hashtags: ["fashion", "ootd", "style", "streetwear", "outfitinspo"],
            keywords: [
                "capsule wardrobe", "outfit of the day", "thrift finds", "tailoring", "sneaker drop", "linen shirts", "color palette", "fall layers",
                "vintage denim", "sustainable brands", "styling tips", "runway", "accessories", "fit check", "wardrobe staples", "silhouette",
            ],
            bioPhrases: ["stylist", "sharing daily outfits", "vintage collector", "fashion editor"],
            peakHours: [11, 12, 18, 19], weekendShare: 0.35, platforms: ["instagram", "tiktok", "threads"]),
        Niche(
            id: "photography", topics: ["landscapes", "street photography", "film", "editing"],
            hashtags: ["photography", "photooftheday", "streetphotography", "filmphotography", "landscape"],
            keywords: [
                "golden hour", "prime lens", "shutter speed", "aperture", "film stock", "street photography", "composition", "long exposure", "color grading",
                "Lightroom presets", "mirrorless camera", "35mm", "tripod", "blue hour", "portrait session", "raw files",
            ],
            bioPhrases: ["landscape photographer", "shooting film in the city", "photo educator", "wedding photographer"],
            peakHours: [7, 8, 18, 19], weekendShare: 0.4, platforms: ["instagram", "x", "threads"]),
        Niche(
            id: "startups", topics: ["fundraising", "product market fit", "growth", "founders"],
            hashtags: ["startups", "founder", "entrepreneur", "saas", "venturecapital"],
            keywords: [
                "product market fit", "seed round", "pitch deck", "churn", "MRR", "go-to-market", "cofounder", "investors", "runway", "customer interviews",
                "pricing page", "B2B SaaS", "hiring first engineers", "growth loops", "YC", "burn rate",
            ],
            bioPhrases: ["founder building in public", "two-time founder", "early-stage investor", "helping founders find PMF"],
            peakHours: [13, 14, 15, 16], weekendShare: 0.1, platforms: ["x", "linkedin"]),
        Niche(
            id: "climate", topics: ["renewables", "climate policy", "electrification", "carbon removal"],
            hashtags: ["climate", "climateaction", "sustainability", "renewableenergy", "cleanenergy"],
            keywords: [
                "heat pumps", "solar panels", "grid storage", "carbon removal", "emissions", "electric vehicles", "wind farms", "climate policy", "net zero",
                "battery prices", "heat waves", "transmission lines", "methane", "green hydrogen", "adaptation", "rooftop solar",
            ],
            bioPhrases: ["climate scientist", "clean energy analyst", "writing about electrification", "climate tech investor"],
            peakHours: [10, 11, 14, 15], weekendShare: 0.15, platforms: ["linkedin", "x", "threads"]),
        Niche(
            id: "music", topics: ["production", "songwriting", "live shows", "vinyl"],
            hashtags: ["music", "producer", "newmusic", "songwriter", "vinyl"],
            keywords: [
                "mixing", "synth patch", "chord progression", "songwriting", "studio session", "vinyl records", "live set", "DAW", "drum loop", "mastering",
                "guitar riff", "new single", "tour dates", "sample pack", "bass line", "vocal takes",
            ],
            bioPhrases: ["producer and songwriter", "touring musician", "collecting vinyl", "music teacher"],
            peakHours: [19, 20, 21, 22], weekendShare: 0.35, platforms: ["instagram", "tiktok", "x"]),
        Niche(
            id: "books", topics: ["fiction", "reading lists", "book reviews", "writing"],
            hashtags: ["books", "booktok", "reading", "bookstagram", "amreading"],
            keywords: [
                "reading list", "novel", "book club", "audiobooks", "fantasy series", "literary fiction", "annotations", "library haul", "debut author",
                "short stories", "memoir", "reading challenge", "favorite chapter", "plot twist", "paperback", "first draft",
            ],
            bioPhrases: ["reading 100 books a year", "novelist", "book reviewer", "librarian who posts reviews"],
            peakHours: [20, 21, 22], weekendShare: 0.4, platforms: ["tiktok", "instagram", "threads"]),
        Niche(
            id: "gardening", topics: ["vegetable gardens", "houseplants", "composting", "native plants"],
            hashtags: ["gardening", "plants", "growyourown", "houseplants", "urbangarden"],
            keywords: [
                "raised beds", "compost", "tomato seedlings", "pruning", "houseplants", "seed starting", "native plants", "mulch", "pollinators", "succulents",
                "soil health", "harvest", "frost dates", "repotting", "herb garden", "perennials",
            ],
            bioPhrases: ["urban gardener", "growing food on a balcony", "horticulturist", "plant parent of 200"],
            peakHours: [7, 8, 9, 16], weekendShare: 0.45, platforms: ["instagram", "tiktok", "threads"]),
        Niche(
            id: "pets", topics: ["dog training", "cats", "adoption", "pet health"],
            hashtags: ["dogsofinstagram", "catsofinstagram", "pets", "dogtraining", "adoptdontshop"],
            keywords: [
                "puppy training", "rescue dog", "cat toys", "vet visit", "leash walking", "treats", "kitten", "dog park", "grooming", "adoption day",
                "separation anxiety", "litter box", "agility", "senior dog", "pet insurance", "zoomies",
            ],
            bioPhrases: ["dog trainer", "foster parent for rescue cats", "vet tech", "three dogs and a cat"],
            peakHours: [8, 12, 19], weekendShare: 0.4, platforms: ["instagram", "tiktok"]),
        Niche(
            id: "productivity", topics: ["habits", "deep work", "note taking", "time management"],
            hashtags: ["productivity", "habits", "deepwork", "notion", "timemanagement"],
            keywords: [
                "deep work", "habit tracker", "time blocking", "second brain", "weekly review", "focus sessions", "note-taking", "inbox zero",
                "morning routine", "to-do list", "calendar", "pomodoro", "goal setting", "distraction", "systems", "journaling",
            ],
            bioPhrases: ["writing about focus and habits", "productivity coach", "Notion template maker", "ex-consultant sharing systems"],
            peakHours: [6, 7, 12, 13], weekendShare: 0.2, platforms: ["x", "linkedin", "threads"]),
        Niche(
            id: "skincare", topics: ["routines", "ingredients", "sunscreen", "acne"],
            hashtags: ["skincare", "skincareroutine", "spf", "beauty", "glowingskin"],
            keywords: [
                "sunscreen", "retinol", "niacinamide", "moisturizer", "double cleansing", "acne scars", "skin barrier", "vitamin C serum", "SPF 50",
                "exfoliation", "hyaluronic acid", "night routine", "sensitive skin", "dermatologist", "fragrance-free", "hydration",
            ],
            bioPhrases: ["dermatology nurse", "skincare chemist", "sharing my routine", "licensed esthetician"],
            peakHours: [7, 21, 22], weekendShare: 0.35, platforms: ["tiktok", "instagram"]),
        Niche(
            id: "soccer", topics: ["premier league", "tactics", "transfers", "world cup"],
            hashtags: ["football", "soccer", "premierleague", "ucl", "transfers"],
            keywords: [
                "starting eleven", "pressing", "transfer window", "clean sheet", "match day", "tactics board", "derby", "penalty", "formation",
                "goal of the season", "injury news", "relegation", "midfield", "expected goals", "stoppage time", "title race",
            ],
            bioPhrases: ["football analyst", "season ticket holder", "tactics nerd", "sports journalist"],
            peakHours: [12, 15, 19, 20], weekendShare: 0.55, platforms: ["x", "threads", "tiktok"]),
        Niche(
            id: "real_estate", topics: ["home buying", "rentals", "housing market", "renovation"],
            hashtags: ["realestate", "homebuying", "investmentproperty", "realtor", "housingmarket"],
            keywords: [
                "mortgage rates", "first home", "rental property", "down payment", "open house", "cap rate", "renovation", "closing costs", "housing market",
                "landlord", "home inspection", "appraisal", "property taxes", "house hacking", "listings", "refinance",
            ],
            bioPhrases: ["realtor", "landlord with 12 doors", "mortgage broker", "house flipper"],
            peakHours: [9, 10, 17, 18], weekendShare: 0.3, platforms: ["linkedin", "instagram", "x"]),
    ]
}
