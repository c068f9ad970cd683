// kith: the command-line entry point. Each subcommand is a thin layer over a
// library function; exit codes follow cli.md (0 ok, 1 invalid input, 2 usage,
// 3 warehouse error, 4 `kith deliver --until-idle` timed out, 5 a run in progress).
#include "cli/apply_command.hpp"
#include "cli/run_command.hpp"
#include "cli/audience_commands.hpp"
#include "cli/commands.hpp"
#include "cli/deliver_command.hpp"
#include "cli/overview_command.hpp"
#include "cli/personalization_command.hpp"
#include "cli/serve_command.hpp"
#include "cli/test_event_command.hpp"

#include <CLI/CLI.hpp>
#include <csignal>
#include <fmt/format.h>

// How --warehouse options name a warehouse (../shared/spec/warehouses.md).
constexpr const char* kWarehouses = "duckdb:PATH, postgresql://..., redshift://..., snowflake://..., bigquery://..., spark://... or databricks://...";

int main(int argc, char** argv) {
    // A write to a connection its peer closed fails with EPIPE, never ends the process (libraries that do not pass
    // MSG_NOSIGNAL included).
    std::signal(SIGPIPE, SIG_IGN);
    CLI::App app{"kith: warehouse-native linked audiences"};
    app.require_subcommand(1);
    app.set_version_flag("--version", std::string(kith::cli::kVersion));

    auto* graph = app.add_subcommand("graph", "Data graph commands");
    graph->require_subcommand(1);
    kith::cli::GraphArgs graph_args;
    auto* validate = graph->add_subcommand("validate", "Check a data graph file (and, with --warehouse, the warehouse it describes)");
    validate->add_option("GRAPH", graph_args.graph, "Graph file (.hcl or .json)")->required();
    validate->add_option("--warehouse", graph_args.warehouse, std::string("Also check tables and columns: ") + kWarehouses);
    auto* show = graph->add_subcommand("show", "Print a summary of a valid data graph");
    show->add_option("GRAPH", graph_args.graph, "Graph file (.hcl or .json)")->required();

    kith::cli::GenArgs gen_args;
    auto* gen = app.add_subcommand("gen", "Generate a Profiles Sync warehouse with linked entities (DuckDB)");
    gen->add_option("--out", gen_args.out, "DuckDB file to write")->required();
    gen->add_option("--graph-out", gen_args.graph_out, "Data graph file to write")->required();
    gen->add_option("--profiles", gen_args.profiles, "Number of profiles")->required()->check(CLI::Range(int64_t{1}, int64_t{1000000000}));
    gen->add_option("--seed", gen_args.seed, "Seed; the same seed gives the same data");
    gen->add_flag("--quiet", gen_args.quiet, "No progress on stderr");

    auto* demo = app.add_subcommand("demo", "The product on its embedded default: first start generates a DuckDB "
                                            "warehouse, an owner account, sample audiences and a webhook activation; "
                                            "every start serves the API on http://127.0.0.1:PORT");
    kith::cli::DemoArgs demo_args;
    demo->add_option("--dir", demo_args.dir, "Folder for the demo's files (default kith-demo)");
    demo->add_option("--port", demo_args.port, "Port on 127.0.0.1 (default 8080)")->check(CLI::Range(0, 65535));
    demo->add_option("--profiles", demo_args.profiles, "Profiles to generate on the first start (default 20000)");
    demo->add_flag("--no-serve", demo_args.no_serve, "Set up and print the credentials, then exit");

    auto* serve = app.add_subcommand("serve", "The service from a config file: API, scheduler, runs, delivery, "
                                              "alerts; stops cleanly on SIGINT or SIGTERM");
    kith::cli::ServeArgs serve_args;
    serve->add_option("--config", serve_args.config, "Config file (TOML)")->required();
    serve->add_option("--listen", serve_args.listen, "HOST:PORT, instead of the config's listen");

    auto* users = app.add_subcommand("users", "Users of the service");
    users->require_subcommand(1);
    kith::cli::UserAddArgs user_add_args;
    auto* user_add = users->add_subcommand("add", "Create a user (the first Workspace Owner, say) in the state store");
    user_add->add_option("--config", user_add_args.config, "Config file (TOML)")->required();
    user_add->add_option("--email", user_add_args.email, "The user's email (the login)")->required();
    user_add->add_option("--name", user_add_args.name, "The user's name");
    user_add->add_option("--role", user_add_args.roles, "A role: workspace_owner, engage_user, unify_read_only, "
                                                         "entities_read_only, source_admin or read_only (repeatable)")
        ->required();
    user_add->add_flag("--password-stdin", user_add_args.password_stdin,
                       "Read the password from stdin (else one is generated and printed)");

    kith::cli::AudienceArgs aud;
    auto audience_options = [&](CLI::App* cmd, bool needs_warehouse) {
        auto* w = cmd->add_option("--warehouse", aud.warehouse, kWarehouses);
        if (needs_warehouse) w->required();
        cmd->add_option("--graph", aud.graph, "Data graph file")->required();
        cmd->add_option("--audience", aud.audience, "Audience definition (JSON)")->required();
        cmd->add_option("--library", aud.library, "Folder of other audiences as <key>.json, for audience conditions");
        cmd->add_option("--as-of", aud.as_of, "Evaluation time, ISO 8601 (UTC when no offset); default now");
    };
    auto* compile = app.add_subcommand("compile", "Print the SQL of an audience for a dialect");
    audience_options(compile, false);
    compile->add_option("--dialect", aud.dialect, "duckdb, postgres, spark (also: databricks), redshift, snowflake or bigquery")->required();
    compile->add_option("--what", aud.what, "members (default) or entities");
    auto* members = app.add_subcommand("members", "Print every member's canonical_segment_id, sorted bytewise");
    audience_options(members, true);
    auto* entities = app.add_subcommand("entities", "Print every matched entity as profile<TAB>relationship<TAB>key");
    audience_options(entities, true);

    auto* preview = app.add_subcommand("preview", "Count, sample members with identifiers, matched entities per relationship");
    audience_options(preview, true);
    preview->add_flag("--json", aud.json, "Print JSON");
    auto* explain = app.add_subcommand("explain", "For one profile: each group and condition, true or false, and why");
    audience_options(explain, true);
    explain->add_option("--profile", aud.profile, "canonical_segment_id")->required();
    explain->add_flag("--json", aud.json, "Print JSON");
    kith::cli::SuggestArgs sug;
    auto* suggest = app.add_subcommand("suggest", "Values for the builder: an entity column, an event property or context key, a trait");
    suggest->add_option("--warehouse", sug.warehouse, kWarehouses)->required();
    suggest->add_option("--graph", sug.graph, "Data graph file")->required();
    suggest->add_option("--entity", sug.entity, "Entity slug (with --column)");
    suggest->add_option("--column", sug.column, "Entity column");
    suggest->add_option("--event", sug.event, "Event name (with --property or --context)");
    suggest->add_option("--property", sug.property, "Event property column");
    suggest->add_option("--context", sug.context, "Event context key (column context_<key>)");
    suggest->add_option("--trait", sug.trait, "Trait name");
    suggest->add_flag("--json", sug.json, "Print a JSON array");
    auto* copy = app.add_subcommand("copy", "Copy the tables of some schemas from one warehouse to another");
    kith::cli::CopyArgs copy_args;
    copy->add_option("--from", copy_args.from, std::string("Source warehouse: ") + kWarehouses)->required();
    copy->add_option("--to", copy_args.to, "Destination warehouse (its tables of the same names are replaced)")
        ->required();
    copy->add_option("--schemas", copy_args.schemas, "Comma-separated schemas (default: every non-system schema)")
        ->delimiter(',');

    kith::cli::ApplyArgs apply_args;
    auto* apply = app.add_subcommand("apply", "Create or update the audiences and activations of a folder (all or nothing)");
    apply->add_option("--config", apply_args.config, "Config file (TOML)")->required();
    apply->add_option("DIR", apply_args.dir, "Folder of .json, .yaml and .yml files, one audience or activation each")
        ->required();

    kith::cli::RunArgs run_args;
    auto* run = app.add_subcommand("run", "Run an audience now: snapshot, diff, events to every enabled activation; "
                                          "prints the change summary as JSON");
    run->add_option("--config", run_args.config, "Config file (TOML)")->required();
    run->add_option("--audience", run_args.audience, "The audience's key")->required();
    run->add_option("--as-of", run_args.as_of, "Evaluation time, ISO 8601 (UTC when no offset); default now");
    run->add_flag("--quiet", run_args.quiet, "No progress lines on stderr");
    run->add_flag("--no-deliver", run_args.no_deliver, "Only queue the events (a later `kith deliver` sends them)");
    run->add_option("--timeout", run_args.timeout_s,
                    "Seconds to deliver the run's events; exit 4 if some are still pending then")
        ->check(CLI::NonNegativeNumber);

    kith::cli::RunsArgs runs_args;
    auto* runs = app.add_subcommand("runs", "The audience's last runs (newest first) with step durations and change "
                                            "summaries, as JSON");
    runs->add_option("--config", runs_args.config, "Config file (TOML)")->required();
    runs->add_option("--audience", runs_args.audience, "The audience's key")->required();
    runs->add_option("--limit", runs_args.limit, "How many runs (default 50)")->check(CLI::Range(1, 1000));

    kith::cli::ChangesArgs changes_args;
    auto* changes = app.add_subcommand("changes", "A run's changes (entered/exited profiles and entities) as NDJSON, "
                                                  "read again from the snapshot kept in the warehouse");
    changes->add_option("--config", changes_args.config, "Config file (TOML)")->required();
    changes->add_option("--run", changes_args.run, "The run's id")->required();
    kith::cli::DeliverArgs deliver_args;
    auto* deliver = app.add_subcommand("deliver", "Send the queued events to their destinations, with retries");
    deliver->add_option("--config", deliver_args.config, "Config file (TOML)")->required();
    deliver->add_flag("--until-idle", deliver_args.until_idle,
                      "Return once no event is pending (each delivered or failed for good); else keep polling");
    deliver->add_option("--timeout", deliver_args.timeout_s,
                        "Seconds; with --until-idle, exit 4 if they pass before the outbox is idle")
        ->check(CLI::NonNegativeNumber);

    kith::cli::OverviewArgs overview_args;
    auto* overview = app.add_subcommand("overview", "Delivery overview: per activation and event name, events from the "
                                                    "audience, filtered, queued, retrying, failed and delivered");
    overview->add_option("--config", overview_args.config, "Config file (TOML)")->required();
    overview->add_option("--activation", overview_args.activation, "Only this activation (its key)");
    overview->add_option("--event", overview_args.event, "Only this event name (\"\" for identify events)");
    overview->add_option("--from", overview_args.from,
                         "Events queued at or after this time, ISO 8601 (UTC when no offset)");
    overview->add_option("--to", overview_args.to, "Events queued before this time, ISO 8601 (UTC when no offset)");
    overview->add_option("--bucket", overview_args.bucket, "Rows per bucket of queueing time: 15m, 1h, 1d, ... or none "
                                                           "(default 1h)");
    overview->add_flag("--json", overview_args.json, "Print JSON");
    auto* list = overview->add_option("--list", overview_args.list,
                                      "List the events of one step: from_audience, filtered_at_source, "
                                      "filtered_at_destination, failed or delivered");
    overview->add_option("--limit", overview_args.limit, "With --list: events per page (default 100)")
        ->check(CLI::Range(1, 10000))
        ->needs(list);
    overview->add_option("--after", overview_args.after, "With --list: the events after this id (the last one listed)")
        ->needs(list);

    kith::cli::PersonalizationArgs personalization_args;
    auto* personalization = app.add_subcommand("personalization", "Personalization syntax (Braze Liquid, Iterable "
                                                                  "Handlebars) for an activation's enriched fields");
    personalization->add_option("--config", personalization_args.config, "Config file (TOML)")->required();
    personalization->add_option("--activation", personalization_args.activation, "The activation's key")->required();
    personalization->add_flag("--json", personalization_args.json, "Print JSON");

    kith::cli::TestEventArgs test_event_args;
    auto* test_event = app.add_subcommand("test-event", "Send an activation's event for one user (its newest, else one "
                                                        "built from the warehouse) to its destination now and show "
                                                        "the request and the answer");
    test_event->add_option("--config", test_event_args.config, "Config file (TOML)")->required();
    test_event->add_option("--activation", test_event_args.activation, "The activation's key")->required();
    test_event->add_option("--user-id", test_event_args.user_id, "The profile's destination user ID (userId)")
        ->required();
    test_event->add_option("--as-of", test_event_args.as_of,
                           "Evaluation time of an event built from the warehouse (ISO 8601; default now)");
    test_event->add_flag("--json", test_event_args.json, "Print JSON");

    kith::cli::DestinationsArgs destinations_args;
    auto* destinations = app.add_subcommand("destinations", "List the destination types, their actions and settings");
    destinations->add_flag("--json", destinations_args.json, "Print JSON");

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        int code = app.exit(e);
        return code == 0 ? 0 : 2;
    }
    if (validate->parsed()) return kith::cli::GraphValidate(graph_args);
    if (show->parsed()) return kith::cli::GraphShow(graph_args);
    if (gen->parsed()) return kith::cli::Gen(gen_args);
    if (demo->parsed()) return kith::cli::Demo(demo_args);
    if (serve->parsed()) return kith::cli::Serve(serve_args);
    if (user_add->parsed()) return kith::cli::UserAdd(user_add_args);
    if (compile->parsed()) return kith::cli::Compile(aud);
    if (members->parsed()) return kith::cli::Members(aud);
    if (entities->parsed()) return kith::cli::Entities(aud);
    if (preview->parsed()) return kith::cli::Preview(aud);
    if (explain->parsed()) return kith::cli::Explain(aud);
    if (suggest->parsed()) return kith::cli::Suggest(sug);
    if (copy->parsed()) return kith::cli::Copy(copy_args);
    if (apply->parsed()) return kith::cli::Apply(apply_args);
    if (run->parsed()) return kith::cli::RunAudience(run_args);
    if (runs->parsed()) return kith::cli::ListRuns(runs_args);
    if (changes->parsed()) return kith::cli::ListChanges(changes_args);
    if (deliver->parsed()) return kith::cli::Deliver(deliver_args);
    if (overview->parsed()) return kith::cli::Overview(overview_args);
    if (personalization->parsed()) return kith::cli::Personalization(personalization_args);
    if (test_event->parsed()) return kith::cli::TestEvent(test_event_args);
    if (destinations->parsed()) return kith::cli::Destinations(destinations_args);
    return 2;
}
