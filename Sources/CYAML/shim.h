#ifndef IOTOPO_CYAML_SHIM_H
#define IOTOPO_CYAML_SHIM_H
// libyaml's event API, as installed by Debian's libyaml-dev (pkg-config yaml-0.1).
#include <yaml.h>
#endif
