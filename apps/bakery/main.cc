#include "apps/bakery/cli.h"

int main(int argc, char** argv) { return bakery::app::runCli(argc, argv); }
