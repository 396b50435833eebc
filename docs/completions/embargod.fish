function __embargod_should_offer_completions_for_flags_or_options -a expected_commands
    set -l non_repeating_flags_or_options $argv[2..]
    set -l non_repeating_flags_or_options_absent 0
    set -l positional_index 0
    set -l commands
    __embargod_parse_tokens
    test "$commands" = "$expected_commands"; and return $non_repeating_flags_or_options_absent
end

function __embargod_should_offer_completions_for_positional -a expected_commands positional_index_comparison expected_positional_index
    set -l non_repeating_flags_or_options
    set -l non_repeating_flags_or_options_absent 0
    set -l positional_index 0
    set -l commands
    __embargod_parse_tokens
    test "$commands" = "$expected_commands" -a \( "$positional_index" "$positional_index_comparison" "$expected_positional_index" \)
end

function __embargod_parse_tokens -S
    set -l unparsed_tokens (__embargod_tokens -pc)
    switch $unparsed_tokens[1]
    case 'embargod'
        __embargod_parse_subcommand 0 'config=' 'root=' 'policy=+' 'no-bundled-policies' 'profile=' 'state-directory=' 'scan-interval=' 'rescan-delay=' 'once' 'check-config' 'version' 'h/help'
        switch $unparsed_tokens[1]
        case 'help'
            __embargod_parse_subcommand -r 1 'version'
        end
    end
end

function __embargod_tokens
    if test (string split -m 1 -f 1 -- . "$FISH_VERSION") -gt 3
        commandline --tokens-raw $argv
    else
        commandline -o $argv
    end
end

function __embargod_parse_subcommand -S -a positional_count
    argparse -s r -- $argv
    set -l option_specs $argv[2..]
    set -l is_repeating_positional $_flag_r
    set -el _flag_r
    set -a commands $unparsed_tokens[1]
    set positional_index 0
    while true
        set -e unparsed_tokens[1]
        argparse -sn "$commands" $option_specs -- $unparsed_tokens 2> /dev/null
        set unparsed_tokens $argv
        set positional_index (math $positional_index + 1)
        for non_repeating_flag_or_option in $non_repeating_flags_or_options
            if set -ql "_flag_$(string replace -a - _ -- $non_repeating_flag_or_option)"
                set non_repeating_flags_or_options_absent 1
                break
            end
        end
        test (count $unparsed_tokens) -eq 0 -o \( -z "$is_repeating_positional" -a "$positional_index" -gt "$positional_count" \) && break
    end
end

function __embargod_complete_directories
    set -l token (commandline -t)
    string match -- '*/' $token
    set -l subdirs $token*/
    printf %s\n $subdirs
end

function __embargod_custom_completion
    set -x SAP_SHELL fish
    set -x SAP_SHELL_VERSION $FISH_VERSION
    set -l tokens (__embargod_tokens -p)
    if test -z "$(__embargod_tokens -t)"
        set -l index (count (__embargod_tokens -pc))
        set tokens $tokens[..$index] \'\' $tokens[(math $index + 1)..]
    end
    command $tokens[1] $argv $tokens
end

complete -c 'embargod' -f
complete -c 'embargod' -n '__embargod_should_offer_completions_for_flags_or_options "embargod" config' -l 'config' -d 'The configuration file (default /etc/embargo/embargod.conf, if present).' -rfka ''
complete -c 'embargod' -n '__embargod_should_offer_completions_for_flags_or_options "embargod" root' -l 'root' -d 'The root to watch and scan (default /).' -rfka ''
complete -c 'embargod' -n '__embargod_should_offer_completions_for_flags_or_options "embargod"' -l 'policy' -d 'A policy file or directory, added to the bundled ones and the configuration\'s. Repeatable.' -rfka ''
complete -c 'embargod' -n '__embargod_should_offer_completions_for_flags_or_options "embargod" no-bundled-policies' -l 'no-bundled-policies' -d 'Load only the --policy paths and the configuration\'s.'
complete -c 'embargod' -n '__embargod_should_offer_completions_for_flags_or_options "embargod" profile' -l 'profile' -d 'The profile to judge against (default: the policies\' default).' -rfka ''
complete -c 'embargod' -n '__embargod_should_offer_completions_for_flags_or_options "embargod" state-directory' -l 'state-directory' -d 'Where the state database lives (default: $STATE_DIRECTORY, else /var/lib/embargo).' -rfka ''
complete -c 'embargod' -n '__embargod_should_offer_completions_for_flags_or_options "embargod" scan-interval' -l 'scan-interval' -d 'Time between full scans, e.g. 6h, 30m.' -rfka ''
complete -c 'embargod' -n '__embargod_should_offer_completions_for_flags_or_options "embargod" rescan-delay' -l 'rescan-delay' -d 'Quiet time after a package database change before the rescan, e.g. 2s.' -rfka ''
complete -c 'embargod' -n '__embargod_should_offer_completions_for_flags_or_options "embargod" once' -l 'once' -d 'Scan once, log, and exit: 0 no violation, 1 a violation, 2 failure.'
complete -c 'embargod' -n '__embargod_should_offer_completions_for_flags_or_options "embargod" check-config' -l 'check-config' -d 'Check the configuration file and the policies, print the settings, and exit.'
complete -c 'embargod' -n '__embargod_should_offer_completions_for_flags_or_options "embargod" version' -l 'version' -d 'Show the version.'
complete -c 'embargod' -n '__embargod_should_offer_completions_for_flags_or_options "embargod" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'embargod' -n '__embargod_should_offer_completions_for_positional "embargod" -eq 1' -fa 'help' -d 'Show subcommand help information.'
complete -c 'embargod' -n '__embargod_should_offer_completions_for_flags_or_options "embargod help" version' -l 'version' -d 'Show the version.'
