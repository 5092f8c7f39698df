// Files compiled into the tinynas binary (cmake/embed_files.cmake): the runtime sources
// ("runtime/<file>") and the exported project's templates ("templates/<file>").
#pragma once

#include <string>
#include <vector>

namespace tinynas::exporter {

struct EmbeddedFile {
  std::string name;
  std::string content;
};

const std::vector<EmbeddedFile>& embedded_files();

}  // namespace tinynas::exporter
