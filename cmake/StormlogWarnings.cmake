# One warning set for every target we compile; CI adds -Werror through STORMLOG_WERROR.
add_compile_options(-Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes
                    -Wpointer-arith -Wformat=2 -Wno-unused-parameter)
if(STORMLOG_WERROR)
  add_compile_options(-Werror)
endif()
