/// One versioned step of the schema. Applied once, in order, inside a transaction,
/// and recorded in `schema_migrations`; `ProfileStore.migrate()` skips what is recorded.
public struct Migration: Sendable {
    /// The version, 1, 2, 3, … without gaps.
    public let version: Int
    /// What the step does, for people and for `schema_migrations.name`.
    public let name: String
    /// The step's SQL for a database of `dimensions`-dimensional vectors.
    let sql: @Sendable (_ dimensions: Int) -> String

    /// Every migration this build knows, oldest first.
    public static let all: [Migration] = [
        initialSchema, cohortStatsAndJobProgress, generationLimitsAndTraces, handleKeysAndCancelledJobs, postEmbeddings,
        generationPipeline, storeInstance, profileChangeFeed,
    ]

    /// Users, posts, embeddings with their change feed, cohorts and jobs.
    ///
    /// The vector columns use `STORAGE PLAIN`: a 1536-dimensional vector (6 KiB)
    /// fits a page, and keeping it out of TOAST makes exact scans several times faster.
    /// `changed_xid` is the id of the transaction that last wrote a row; the change
    /// feed reads rows at or above a snapshot's xmin (see `ChangeWatermark`); deletions
    /// leave a row in `embedding_deletions`, which `writeEmbeddings` clears for users it writes again.
    static let initialSchema = Migration(version: 1, name: "initial schema") { dimensions in
        """
        CREATE TABLE store_settings (
            name text PRIMARY KEY,
            value text NOT NULL
        );
        INSERT INTO store_settings (name, value) VALUES ('dimensions', '\(dimensions)');

        CREATE TABLE users (
            id bigint PRIMARY KEY CHECK (id > 0),
            handle text NOT NULL UNIQUE,
            display_name text NOT NULL,
            bio text NOT NULL DEFAULT '',
            created_at timestamptz NOT NULL DEFAULT now(),
            updated_at timestamptz NOT NULL DEFAULT now()
        );

        CREATE TABLE posts (
            id bigint PRIMARY KEY CHECK (id > 0),
            user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
            content text NOT NULL,
            topics text[] NOT NULL DEFAULT '{}',
            hashtags text[] NOT NULL DEFAULT '{}',
            platform text NOT NULL,
            published_at timestamptz NOT NULL,
            views bigint NOT NULL DEFAULT 0 CHECK (views >= 0),
            likes bigint NOT NULL DEFAULT 0 CHECK (likes >= 0),
            reposts bigint NOT NULL DEFAULT 0 CHECK (reposts >= 0)
        );
        CREATE INDEX posts_by_user_recent ON posts (user_id, published_at DESC);

        CREATE TABLE profile_embeddings (
            user_id bigint PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
            embedding vector(\(dimensions)) NOT NULL,
            model text NOT NULL,
            content_hash bytea NOT NULL,
            embedded_at timestamptz NOT NULL DEFAULT now(),
            changed_xid xid8 NOT NULL DEFAULT pg_current_xact_id()
        );
        ALTER TABLE profile_embeddings ALTER COLUMN embedding SET STORAGE PLAIN;
        CREATE INDEX profile_embeddings_by_change ON profile_embeddings (changed_xid);

        CREATE TABLE embedding_deletions (
            user_id bigint PRIMARY KEY,
            changed_xid xid8 NOT NULL DEFAULT pg_current_xact_id()
        );
        CREATE INDEX embedding_deletions_by_change ON embedding_deletions (changed_xid);

        CREATE FUNCTION profile_embeddings_touch() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            NEW.changed_xid := pg_current_xact_id();
            RETURN NEW;
        END $$;
        CREATE TRIGGER profile_embeddings_touch BEFORE UPDATE ON profile_embeddings
            FOR EACH ROW EXECUTE FUNCTION profile_embeddings_touch();

        CREATE FUNCTION profile_embeddings_record_deletions() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            INSERT INTO embedding_deletions (user_id) SELECT user_id FROM deleted
            ON CONFLICT (user_id) DO UPDATE SET changed_xid = pg_current_xact_id();
            RETURN NULL;
        END $$;
        CREATE TRIGGER profile_embeddings_record_deletions AFTER DELETE ON profile_embeddings
            REFERENCING OLD TABLE AS deleted
            FOR EACH STATEMENT EXECUTE FUNCTION profile_embeddings_record_deletions();

        CREATE TABLE cohort_runs (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            created_at timestamptz NOT NULL DEFAULT now(),
            model text NOT NULL,
            k integer NOT NULL CHECK (k > 0),
            parameters jsonb NOT NULL DEFAULT '{}',
            objective double precision NOT NULL,
            iterations integer NOT NULL,
            active boolean NOT NULL DEFAULT false
        );
        CREATE UNIQUE INDEX cohort_runs_one_active ON cohort_runs (active) WHERE active;

        CREATE TABLE cohorts (
            run_id bigint NOT NULL REFERENCES cohort_runs (id) ON DELETE CASCADE,
            cohort integer NOT NULL CHECK (cohort >= 0),
            centroid vector(\(dimensions)) NOT NULL,
            size integer NOT NULL CHECK (size >= 0),
            label text NOT NULL DEFAULT '',
            terms text[] NOT NULL DEFAULT '{}',
            traits jsonb NOT NULL DEFAULT '{}',
            PRIMARY KEY (run_id, cohort)
        );
        ALTER TABLE cohorts ALTER COLUMN centroid SET STORAGE PLAIN;

        CREATE TABLE cohort_members (
            run_id bigint NOT NULL,
            user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
            cohort integer NOT NULL,
            similarity real NOT NULL,
            PRIMARY KEY (run_id, user_id),
            FOREIGN KEY (run_id, cohort) REFERENCES cohorts (run_id, cohort) ON DELETE CASCADE
        );
        CREATE INDEX cohort_members_by_cohort ON cohort_members (run_id, cohort);

        CREATE TABLE jobs (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            kind text NOT NULL,
            payload jsonb NOT NULL DEFAULT '{}',
            status text NOT NULL DEFAULT 'queued'
                CHECK (status IN ('queued', 'running', 'succeeded', 'failed')),
            attempts integer NOT NULL DEFAULT 0,
            result jsonb,
            error text,
            created_at timestamptz NOT NULL DEFAULT now(),
            started_at timestamptz,
            finished_at timestamptz
        );
        CREATE INDEX jobs_queued ON jobs (created_at) WHERE status = 'queued';
        """
    }

    /// Run statistics (imbalance, churn, timings) beside a cohort run, and progress and a
    /// heartbeat on jobs, so a runner that died can be told from one that is working.
    static let cohortStatsAndJobProgress = Migration(version: 2, name: "cohort run stats, job progress") { _ in
        """
        ALTER TABLE cohort_runs ADD COLUMN stats jsonb NOT NULL DEFAULT '{}';
        ALTER TABLE jobs ADD COLUMN progress jsonb NOT NULL DEFAULT '{}';
        ALTER TABLE jobs ADD COLUMN heartbeat_at timestamptz;
        CREATE INDEX jobs_running ON jobs (kind) WHERE status = 'running';
        CREATE INDEX cohort_members_by_user ON cohort_members (user_id);
        """
    }

    /// The generation rate limit's admissions and the trace of every generation.
    ///
    /// `generation_admissions` holds one row per admitted generation inside the limit's window
    /// (older rows are deleted as the user's next request is admitted); every server process
    /// reads and writes it under a lock on the user's row, so two processes enforce one limit.
    static let generationLimitsAndTraces = Migration(version: 3, name: "generation rate limit, generation traces") { _ in
        """
        CREATE TABLE generation_admissions (
            id bigserial PRIMARY KEY,
            user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
            admitted_at timestamptz NOT NULL DEFAULT clock_timestamp()
        );
        CREATE INDEX generation_admissions_by_user ON generation_admissions (user_id, admitted_at);

        CREATE TABLE generation_traces (
            id bigserial PRIMARY KEY,
            user_id bigint NOT NULL,
            platform text NOT NULL,
            provider text NOT NULL,
            model text NOT NULL,
            status text NOT NULL CHECK (status IN ('succeeded', 'failed', 'cancelled')),
            started_at timestamptz NOT NULL,
            duration_ms double precision NOT NULL CHECK (duration_ms >= 0),
            first_token_ms double precision,
            context_items text[] NOT NULL DEFAULT '{}',
            error text
        );
        CREATE INDEX generation_traces_recent ON generation_traces (started_at DESC);
        """
    }

    /// Handles unique regardless of case and Unicode form (a `handle_key` the import writes:
    /// NFKC, lower case), and jobs that can be cancelled before they start.
    static let handleKeysAndCancelledJobs = Migration(version: 4, name: "handle keys, cancelled jobs") { _ in
        """
        ALTER TABLE users ADD COLUMN handle_key text;
        UPDATE users SET handle_key = lower(normalize(handle, NFKC));
        ALTER TABLE users ALTER COLUMN handle_key SET NOT NULL;
        CREATE UNIQUE INDEX users_by_handle_key ON users (handle_key);
        ALTER TABLE jobs DROP CONSTRAINT jobs_status_check;
        ALTER TABLE jobs ADD CONSTRAINT jobs_status_check CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled'));
        """
    }

    /// Every post's embedding as a compact code (`SparseCode`'s bytes: a post's vector has
    /// fewer non-zero components than the code keeps, so little is lost, and a full 1536-float
    /// vector per post would be 6 KiB × 25 million posts at a million creators) and its lexical
    /// terms, with the same change feed as the profile embeddings (`changed_xid`, deletions).
    static let postEmbeddings = Migration(version: 5, name: "post embeddings") { _ in
        """
        CREATE TABLE post_embeddings (
            post_id bigint PRIMARY KEY REFERENCES posts (id) ON DELETE CASCADE,
            model text NOT NULL,
            content_hash bytea NOT NULL,
            code bytea NOT NULL,
            terms bytea NOT NULL,
            embedded_at timestamptz NOT NULL DEFAULT now(),
            changed_xid xid8 NOT NULL DEFAULT pg_current_xact_id()
        );
        CREATE INDEX post_embeddings_by_change ON post_embeddings (changed_xid);

        -- The axes a dense model's post vectors are projected on (`PostCodec`), fitted once per model.
        CREATE TABLE post_projections (
            model text PRIMARY KEY,
            mean bytea NOT NULL,
            components bytea NOT NULL,
            width integer NOT NULL CHECK (width > 0),
            fitted_at timestamptz NOT NULL DEFAULT now()
        );
        CREATE TRIGGER post_embeddings_touch BEFORE UPDATE ON post_embeddings
            FOR EACH ROW EXECUTE FUNCTION profile_embeddings_touch();

        CREATE TABLE post_embedding_deletions (
            post_id bigint PRIMARY KEY,
            changed_xid xid8 NOT NULL DEFAULT pg_current_xact_id()
        );
        CREATE INDEX post_embedding_deletions_by_change ON post_embedding_deletions (changed_xid);
        CREATE FUNCTION post_embeddings_record_deletions() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            INSERT INTO post_embedding_deletions (post_id) SELECT post_id FROM deleted
            ON CONFLICT (post_id) DO UPDATE SET changed_xid = pg_current_xact_id();
            RETURN NULL;
        END $$;
        CREATE TRIGGER post_embeddings_record_deletions AFTER DELETE ON post_embeddings
            REFERENCING OLD TABLE AS deleted
            FOR EACH STATEMENT EXECUTE FUNCTION post_embeddings_record_deletions();

        -- A post's new date or engagement puts its embedding back on the change feed, so the engines'
        -- copies (which rank by them) stay exact; new text makes it stale for the next backfill instead.
        CREATE FUNCTION posts_touch_embeddings() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            UPDATE post_embeddings e SET changed_xid = pg_current_xact_id()
            FROM changed c JOIN previous o ON o.id = c.id
            WHERE e.post_id = c.id
                AND (c.published_at, c.views, c.likes, c.reposts) IS DISTINCT FROM (o.published_at, o.views, o.likes, o.reposts);
            RETURN NULL;
        END $$;
        CREATE TRIGGER posts_touch_embeddings AFTER UPDATE ON posts
            REFERENCING OLD TABLE AS previous NEW TABLE AS changed
            FOR EACH STATEMENT EXECUTE FUNCTION posts_touch_embeddings();
        """
    }

    /// The generation pipeline: durable generations (a job's request, and each completed step's
    /// output and span, so that a retried job resumes after the last one) and a span per step
    /// of every generation's trace.
    static let generationPipeline = Migration(version: 6, name: "generation pipeline") { _ in
        """
        CREATE TABLE generations (
            id bigserial PRIMARY KEY,
            user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
            request jsonb NOT NULL,
            status text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'running', 'succeeded', 'failed')),
            attempts integer NOT NULL DEFAULT 0,
            result jsonb,
            error text,
            failed_step text,
            trace_id bigint,
            created_at timestamptz NOT NULL DEFAULT now(),
            started_at timestamptz,
            finished_at timestamptz,
            heartbeat_at timestamptz
        );
        CREATE INDEX generations_claimable ON generations (created_at, id) WHERE status IN ('queued', 'running');
        CREATE TABLE generation_steps (
            generation_id bigint NOT NULL REFERENCES generations (id) ON DELETE CASCADE,
            key text NOT NULL,
            output jsonb NOT NULL,
            span jsonb NOT NULL,
            completed_at timestamptz NOT NULL DEFAULT clock_timestamp(),
            PRIMARY KEY (generation_id, key)
        );

        ALTER TABLE generation_traces ADD COLUMN generation_id bigint;
        ALTER TABLE generation_traces ADD COLUMN variants integer NOT NULL DEFAULT 1;
        CREATE TABLE generation_spans (
            trace_id bigint NOT NULL REFERENCES generation_traces (id) ON DELETE CASCADE,
            ordinal integer NOT NULL,
            name text NOT NULL,
            variant integer,
            attempt integer NOT NULL DEFAULT 1,
            status text NOT NULL CHECK (status IN ('ok', 'error')),
            started_at timestamptz NOT NULL,
            duration_ms double precision NOT NULL CHECK (duration_ms >= 0),
            input text NOT NULL DEFAULT '',
            output text NOT NULL DEFAULT '',
            error text,
            PRIMARY KEY (trace_id, ordinal)
        );
        CREATE INDEX generation_spans_recent ON generation_spans (started_at DESC);
        """
    }

    /// A random id of this store, set once: an engine snapshot taken of another store (a schema
    /// dropped and made again, another database) names another id and is not used.
    static let storeInstance = Migration(version: 7, name: "store instance id") { _ in
        "INSERT INTO store_settings (name, value) VALUES ('instance', gen_random_uuid()::text) ON CONFLICT (name) DO NOTHING;"
    }

    /// A change feed of profiles: every statement that writes users or posts leaves, for each
    /// creator it touched, a row in `profile_changes` stamped with its transaction (`changed_xid`,
    /// read like the embeddings' feed), so an engine learns of any write to a creator's profile or
    /// posts, by any process, at its next poll. One row per creator (a write stamps it again), so
    /// the table never outgrows the users; a deleted user's row stays, naming the deletion.
    static let profileChangeFeed = Migration(version: 8, name: "profile change feed") { _ in
        """
        CREATE TABLE profile_changes (
            user_id bigint PRIMARY KEY,
            changed_xid xid8 NOT NULL DEFAULT pg_current_xact_id()
        );
        CREATE INDEX profile_changes_by_change ON profile_changes (changed_xid);
        CREATE FUNCTION users_record_profile_changes() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            INSERT INTO profile_changes (user_id) SELECT DISTINCT id FROM touched
            ON CONFLICT (user_id) DO UPDATE SET changed_xid = pg_current_xact_id();
            RETURN NULL;
        END $$;
        CREATE FUNCTION posts_record_profile_changes() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            INSERT INTO profile_changes (user_id) SELECT DISTINCT user_id FROM touched
            ON CONFLICT (user_id) DO UPDATE SET changed_xid = pg_current_xact_id();
            RETURN NULL;
        END $$;
        -- A trigger with a transition table takes one event, so each table has three. A post never
        -- changes author (importPosts refuses it), so its new rows name every creator an update touched.
        CREATE TRIGGER users_inserted_profile_changes AFTER INSERT ON users
            REFERENCING NEW TABLE AS touched FOR EACH STATEMENT EXECUTE FUNCTION users_record_profile_changes();
        CREATE TRIGGER users_updated_profile_changes AFTER UPDATE ON users
            REFERENCING NEW TABLE AS touched FOR EACH STATEMENT EXECUTE FUNCTION users_record_profile_changes();
        CREATE TRIGGER users_deleted_profile_changes AFTER DELETE ON users
            REFERENCING OLD TABLE AS touched FOR EACH STATEMENT EXECUTE FUNCTION users_record_profile_changes();
        CREATE TRIGGER posts_inserted_profile_changes AFTER INSERT ON posts
            REFERENCING NEW TABLE AS touched FOR EACH STATEMENT EXECUTE FUNCTION posts_record_profile_changes();
        CREATE TRIGGER posts_updated_profile_changes AFTER UPDATE ON posts
            REFERENCING NEW TABLE AS touched FOR EACH STATEMENT EXECUTE FUNCTION posts_record_profile_changes();
        CREATE TRIGGER posts_deleted_profile_changes AFTER DELETE ON posts
            REFERENCING OLD TABLE AS touched FOR EACH STATEMENT EXECUTE FUNCTION posts_record_profile_changes();
        """
    }
}
