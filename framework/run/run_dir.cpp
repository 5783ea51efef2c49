#include "framework/run/run_dir.h"

#include <unistd.h>

#include <chrono>
#include <ctime>
#include <filesystem>

#include <spdlog/spdlog.h>
#include <spdlog/version.h>
#include <torch/version.h>

#include "framework/distributed/communicator.h"
#include "framework/run/run_dir_guard.h"
#include "framework/train/checkpointer.h"
#include "framework/util/build_info.h"
#include "framework/util/fs.h"
#include "framework/util/logging.h"

namespace fs = std::filesystem;

namespace higgs {

Json run_metadata(const TaskContext& ctx) {
  Json meta = Json::object();
  meta["argv"] = ctx.flags.argv;
  const Json build = build_info();
  meta["version"] = build["version"];
  meta["git_revision"] = build["git_revision"];
  meta["build"] = build;  // LibTorch, CUDA and its devices, backends, threads
  meta["libraries"] = {
      {"libtorch", TORCH_VERSION},
      {"spdlog", std::to_string(SPDLOG_VER_MAJOR) + "." + std::to_string(SPDLOG_VER_MINOR) + "." +
                     std::to_string(SPDLOG_VER_PATCH)},
      {"nlohmann_json", std::to_string(NLOHMANN_JSON_VERSION_MAJOR) + "." +
                            std::to_string(NLOHMANN_JSON_VERSION_MINOR) + "." +
                            std::to_string(NLOHMANN_JSON_VERSION_PATCH)}};
  meta["seed"] = ctx.plan.settings.seed;
  meta["world_size"] = ctx.run.placement.world_size;
  const auto& comm = ctx.communicator;
  meta["distributed_backend"] = comm ? comm->backend() : "none";
  char host[256] = {0};
  gethostname(host, sizeof(host) - 1);
  meta["host"] = host;
  meta["recipe"] = fs::absolute(ctx.plan.config.source()).string();
  std::time_t now = std::time(nullptr);
  char buf[64];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
  meta["started"] = buf;
  return meta;
}

RunDirectory RunDirectory::prepare(const TaskContext& ctx, const std::string& log_name) {
  // Rank 0 checks and writes the directory; the others wait for it (and stop too when it fails,
  // instead of hanging in the first collective).
  const auto& comm = ctx.communicator;
  if (comm && comm->world_size() > 1) {
    std::exception_ptr failed;
    RunDirectory rd;
    if (comm->is_main()) {
      try {
        rd = prepare_local(ctx, log_name);
      } catch (...) {
        failed = std::current_exception();
      }
    } else {
      rd.path_ = ctx.plan.settings.output_dir;
    }
    bool ok = comm->agree(!failed);
    if (failed) std::rethrow_exception(failed);
    if (!ok)
      throw RecipeError("rank 0 could not prepare output_dir " + rd.path_ + " (see its error)");
    return rd;
  }
  return prepare_local(ctx, log_name);
}

RunDirectory RunDirectory::prepare_local(const TaskContext& ctx, const std::string& log_name) {
  RunDirectory rd;
  rd.path_ = ctx.plan.settings.output_dir;
  if (rd.path_.empty())
    throw RecipeError(ctx.plan.config.source() +
                      ": output_dir is empty; set it in the recipe or pass --output-dir DIR");
  bool resuming = !ctx.flags.resume.empty();
  if (fs::exists(rd.path_) && !fs::is_directory(rd.path_))
    throw RecipeError("output_dir " + rd.path_ + " exists and is not a directory");
  const bool occupied = fs::exists(rd.path_) && !fs::is_empty(rd.path_);
  if (occupied && !resuming && !ctx.flags.force)
    throw RecipeError("output_dir " + rd.path_ +
                      " is not empty; pass --resume auto to continue that run, --force to "
                      "write into it anyway, or choose another --output-dir");
  if (occupied && !is_run_directory(rd.path_))
    throw RecipeError("output_dir " + rd.path_ + " is not empty and is not a higgs-train run " +
                      "directory (no " + kRunMarkerFile + "): higgs-train never writes into, " +
                      "prunes or resumes a folder it did not make; choose another --output-dir");
  if (!ctx.run.placement.is_main()) return rd;
  fs::create_directories(rd.path_);
  if (!occupied) mark_run_directory(rd.path_);
  rd.lock_ = std::make_shared<RunDirectoryLock>(rd.path_);  // before anything is written
  if (resuming && fs::exists(rd.file(kResolvedRecipeFile))) {
    // Keep the original recipe of the run; a resumed run records its own in meta.
    write_file_atomic(rd.file("recipe.resumed.json"), ctx.plan.resolved.dump(2) + "\n");
  } else {
    write_file_atomic(rd.file(kResolvedRecipeFile), ctx.plan.resolved.dump(2) + "\n");
  }
  write_file_atomic(rd.file("recipe.overrides.json"), ctx.plan.config.overrides().dump(2) + "\n");
  Json meta = run_metadata(ctx);
  meta["resumed"] = resuming;
  write_file_atomic(rd.file(resuming ? "meta.resumed.json" : "meta.json"), meta.dump(2) + "\n");
  add_log_file(rd.file(log_name));
  spdlog::info("run directory {}", fs::absolute(rd.path_).string());
  return rd;
}

}  // namespace higgs
