# m2vk_target_warnings(target): the project's warning set; errors when M2VK_WERROR is on.
function(m2vk_target_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor)
  if(M2VK_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
