function __embargo_should_offer_completions_for_flags_or_options -a expected_commands
    set -l non_repeating_flags_or_options $argv[2..]
    set -l non_repeating_flags_or_options_absent 0
    set -l positional_index 0
    set -l commands
    __embargo_parse_tokens
    test "$commands" = "$expected_commands"; and return $non_repeating_flags_or_options_absent
end

function __embargo_should_offer_completions_for_positional -a expected_commands positional_index_comparison expected_positional_index
    set -l non_repeating_flags_or_options
    set -l non_repeating_flags_or_options_absent 0
    set -l positional_index 0
    set -l commands
    __embargo_parse_tokens
    test "$commands" = "$expected_commands" -a \( "$positional_index" "$positional_index_comparison" "$expected_positional_index" \)
end

function __embargo_parse_tokens -S
    set -l unparsed_tokens (__embargo_tokens -pc)
    switch $unparsed_tokens[1]
    case 'embargo'
        __embargo_parse_subcommand 0 'version' 'h/help'
        switch $unparsed_tokens[1]
        case 'scan'
            __embargo_parse_subcommand 0 'root=' 'policy=+' 'no-bundled-policies' 'profile=' 'as-of=' 'scan-path=+' 'exclude=+' 'cross-file-systems' 'no-walk' 'cache-directory=' 'no-cache' 'waivers=+' 'no-waivers' 'format=' 'o/output=' 'version' 'h/help'
        case 'inventory'
            __embargo_parse_subcommand 0 'root=' 'format=' 'o/output=' 'version' 'h/help'
        case 'report'
            __embargo_parse_subcommand 0 'state-directory=' 'scan=' 'since=' 'scan-now' 'journal-directory=+' 'root=' 'policy=+' 'no-bundled-policies' 'profile=' 'as-of=' 'scan-path=+' 'exclude=+' 'cross-file-systems' 'no-walk' 'cache-directory=' 'no-cache' 'waivers=+' 'no-waivers' 'format=' 'o/output=' 'version' 'h/help'
        case 'history'
            __embargo_parse_subcommand 0 'state-directory=' 'limit=' 'format=' 'o/output=' 'version' 'h/help'
        case 'diff'
            __embargo_parse_subcommand 2 'state-directory=' 'format=' 'o/output=' 'version' 'h/help'
        case 'findings'
            __embargo_parse_subcommand 0 'journal' 'journal-directory=' 'journal-file=+' 'vendor=+' 'product=+' 'status=+' 'since=' 'until=' 'format=' 'o/output=' 'version' 'h/help'
        case 'policy'
            __embargo_parse_subcommand 0 'version' 'h/help'
            switch $unparsed_tokens[1]
            case 'list'
                __embargo_parse_subcommand 0 'policy=+' 'no-bundled-policies' 'format=' 'o/output=' 'version' 'h/help'
            case 'validate'
                __embargo_parse_subcommand -r 1 'no-bundled-policies' 'version' 'h/help'
            end
        case 'waiver'
            __embargo_parse_subcommand 0 'version' 'h/help'
            switch $unparsed_tokens[1]
            case 'list'
                __embargo_parse_subcommand 0 'waivers=+' 'as-of=' 'format=' 'o/output=' 'version' 'h/help'
            case 'check'
                __embargo_parse_subcommand -r 1 'policy=+' 'no-bundled-policies' 'root=' 'profile=' 'as-of=' 'scan-path=+' 'exclude=+' 'cross-file-systems' 'no-walk' 'cache-directory=' 'no-cache' 'format=' 'o/output=' 'version' 'h/help'
            end
        case 'help'
            __embargo_parse_subcommand -r 1 'version'
        end
    end
end

function __embargo_tokens
    if test (string split -m 1 -f 1 -- . "$FISH_VERSION") -gt 3
        commandline --tokens-raw $argv
    else
        commandline -o $argv
    end
end

function __embargo_parse_subcommand -S -a positional_count
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

function __embargo_complete_directories
    set -l token (commandline -t)
    string match -- '*/' $token
    set -l subdirs $token*/
    printf %s\n $subdirs
end

function __embargo_custom_completion
    set -x SAP_SHELL fish
    set -x SAP_SHELL_VERSION $FISH_VERSION
    set -l tokens (__embargo_tokens -p)
    if test -z "$(__embargo_tokens -t)"
        set -l index (count (__embargo_tokens -pc))
        set tokens $tokens[..$index] \'\' $tokens[(math $index + 1)..]
    end
    command $tokens[1] $argv $tokens
end

complete -c 'embargo' -f
complete -c 'embargo' -n '__embargo_should_offer_completions_for_flags_or_options "embargo" version' -l 'version' -d 'Show the version.'
complete -c 'embargo' -n '__embargo_should_offer_completions_for_flags_or_options "embargo" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'embargo' -n '__embargo_should_offer_completions_for_positional "embargo" -eq 1' -fa 'scan' -d 'Scan a root for restricted software and report each finding with its evidence and dated status.'
complete -c 'embargo' -n '__embargo_should_offer_completions_for_positional "embargo" -eq 1' -fa 'inventory' -d 'List every package of every package database in a root, with install and update dates.'
complete -c 'embargo' -n '__embargo_should_offer_completions_for_positional "embargo" -eq 1' -fa 'report' -d 'Write a compliance report: from the daemon\'s scan history, from a fresh scan, or across a fleet\'s journals.'
complete -c 'embargo' -n '__embargo_should_offer_completions_for_positional "embargo" -eq 1' -fa 'history' -d 'List the scans embargod recorded: when, how long, what was found, under which policy.'
complete -c 'embargo' -n '__embargo_should_offer_completions_for_positional "embargo" -eq 1' -fa 'diff' -d 'Show software and findings added, removed and changed between two recorded scans.'
complete -c 'embargo' -n '__embargo_should_offer_completions_for_positional "embargo" -eq 1' -fa 'findings' -d 'Read the findings embargod logged back from the systemd journal.'
complete -c 'embargo' -n '__embargo_should_offer_completions_for_positional "embargo" -eq 1' -fa 'policy' -d 'Show and check policies.'
complete -c 'embargo' -n '__embargo_should_offer_completions_for_positional "embargo" -eq 1' -fa 'waiver' -d 'Show and check waivers: approved, time-limited exceptions that turn a violation into waived.'
complete -c 'embargo' -n '__embargo_should_offer_completions_for_positional "embargo" -eq 1' -fa 'help' -d 'Show subcommand help information.'
complete -c 'embargo' -n '__embargo_should_offer_completions_for_flags_or_options "embargo scan" root' -l 'root' -d 'The root to scan: / for this machine, or a mounted image or container root.' -rfka ''
complete -c 'embargo' -n '__embargo_should_offer_completions_for_flags_or_options "embargo scan"' -l 'policy' -d 'A policy file or directory to load in addition to the bundled ones; a file with the same id replaces a bundled policy. Repeatable.' -rfka ''
complete -c 'embargo' -n '__embargo_should_offer_completions_for_flags_or_options "embargo scan" no-bundled-policies' -l 'no-bundled-policies' -d 'Load only the --policy paths.'
complete -c 'embargo' -n '__embargo_should_offer_completions_for_flags_or_options "embargo scan" profile' -l 'profile' -d 'Who the host belongs to; selects the restrictions that bind it (default: the policy\'s default profile, us-commercial).' -rfka ''
complete -c 'embargo' -n '__embargo_should_offer_completions_for_flags_or_options "embargo scan" as-of' -l 'as-of' -d 'Judge findings at this instant: YYYY-MM-DD (midnight UTC) or RFC 3339 (default: now).' -rfka ''
complete -c 'embargo' -n '__embargo_should_offer_completions_for_flags_or_options "embargo scan"' -l 'scan-path' -d 'A directory (inside the root) to walk for loose binaries, instead of the defaults /opt, /usr/local, /srv, /home, /root, /var/opt, /etc/opt. Repeatable.' -rfka ''
complete -c 'embargo' -n '__embargo_should_offer_completions_for_flags_or_options "embargo scan"' -l 'exclude' -d 'A path (inside the root) or file name the walk skips (default: /tmp). Repeatable.' -rfka ''
complete -c 'embargo' -n '__embargo_should_offer_completions_for_flags_or_options "embargo scan" cross-file-systems' -l 'cross-file-systems' -d 'Let the walk descend into other mounted file systems.'
complete -c 'embargo' -n '__embargo_should_offer_completions_for_flags_or_options "embargo scan" no-walk' -l 'no-walk' -d 'Skip the file walk: read package databases, policy paths, units, certificates and repositories only.'
complete -c 'embargo' -n '__embargo_should_offer_completions_for_flags_or_options "embargo scan" cache-directory' -l 'cache-directory' -d 'Keep what was learned from each file here, so a rescan reads only files that changed (default: $XDG_CACHE_HOME/embargo or ~/.cache/embargo).' -rfka ''
complete -c 'embargo' -n '__embargo_should_offer_completions_for_flags_or_options "embargo scan" no-cache' -l 'no-cache' -d 'Read every file again; keep no cache.'
complete -c 'embargo' -n '__embargo_should_offer_completions_for_flags_or_options "embargo scan"' -l 'waivers' -d 'A waiver file or directory of *.yaml files (default: /etc/embargo/waivers.d when it exists). Repeatable.' -rfka ''
complete -c 'embargo' -n '__embargo_should_offer_completions_for_flags_or_options "embargo scan" no-waivers' -l 'no-waivers' -d 'Apply no waivers, not even those of the default directory.'
complete -c 'embargo' -n '__embargo_should_offer_completions_for_flags_or_options "embargo scan" format' -l 'format' -d 'Output format.' -rfka 'text json'
complete -c 'embargo' -n '__embargo_should_offer_completions_for_flags_or_options "embargo scan" o output' -l 'output' -s 'o' -d 'Write to this file instead of standard output.' -rfka ''
complete -c 'embargo' -n '__embargo_should_offer_completions_for_flags_or_options "embargo scan" version' -l 'version' -d 'Show the version.'
complete -c 'embargo' -n '__embargo_should_offer_completions_for_flags_or_options "embargo scan" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'embargo' -n '__embargo_should_offer_completions_for_flags_or_options "embargo inventory" root' -l 'root' -d 'The root to read: / for this machine, or a mounted image or container root.' -rfka ''
complete -c 'embargo' -n '__embargo_should_offer_completions_for_flags_or_options "embargo inventory" format' -l 'format' -d 'Output format.' -rfka 'text json'
complete -c 'embargo' -n '__embargo_should_offer_completions_for_flags_or_options "embargo inventory" o output' -l 'output' -s 'o' -d 'Write to this file instead of standard output.' -rfka ''
complete -c 'embargo' -n '__embargo_should_offer_completions_for_flags_or_options "embargo inventory" version' -l 'version' -d 'Show the version.'
complete -c 'embargo' -n '__embargo_should_offer_completions_for_flags_or_options "embargo inventory" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'embargo' -n '__embargo_should_offer_completions_for_flags_or_options "embargo report" state-directory' -l 'state-directory' -d 'embargod\'s state directory (its scan history).' -rfka ''
complete -c 'embargo' -n '__embargo_should_offer_completions_for_flags_or_options "embargo report" scan' -l 'scan' -d 'Report this scan (an id or a unique prefix of one).' -rfka ''
complete -c 'embargo' -n '__embargo_should_offer_completions_for_flags_or_options "embargo report" since' -l 'since' -d 'Report the scans since this date (YYYY-MM-DD or RFC 3339).' -rfka ''
complete -c 'embargo' -n '__embargo_should_offer_completions_for_flags_or_options "embargo report" scan-now' -l 'scan-now' -d 'Scan now instead of reading the history (takes the scan options).'
complete -c 'embargo' -n '__embargo_should_offer_completions_for_flags_or_options "embargo report"' -l 'journal-directory' -d 'A directory of journal files of one or more hosts (fleet report). Repeatable.' -rfka ''
complete -c 'embargo' -n '__embargo_should_offer_completions_for_flags_or_options "embargo report" root' -l 'root' -d 'The root to scan with --scan-now.' -rfka ''
complete -c 'embargo' -n '__embargo_should_offer_completions_for_flags_or_options "embargo report"' -l 'policy' -d 'A policy file or directory to load in addition to the bundled ones; a file with the same id replaces a bundled policy. Repeatable.' -rfka ''
complete -c 'embargo' -n '__embargo_should_offer_completions_for_flags_or_options "embargo report" no-bundled-policies' -l 'no-bundled-policies' -d 'Load only the --policy paths.'
complete -c 'embargo' -n '__embargo_should_offer_completions_for_flags_or_options "embargo report" profile' -l 'profile' -d 'Profile for --scan-now (default: the policy\'s default).' -rfka ''
complete -c 'embargo' -n '__embargo_should_offer_completions_for_flags_or_options "embargo report" as-of' -l 'as-of' -d 'Judge at this instant (--scan-now).' -rfka ''
complete -c 'embargo' -n '__embargo_should_offer_completions_for_flags_or_options "embargo report"' -l 'scan-path' -d 'A directory (inside the root) to walk for loose binaries, instead of the defaults /opt, /usr/local, /srv, /home, /root, /var/opt, /etc/opt. Repeatable.' -rfka ''
complete -c 'embargo' -n '__embargo_should_offer_completions_for_flags_or_options "embargo report"' -l 'exclude' -d 'A path (inside the root) or file name the walk skips (default: /tmp). Repeatable.' -rfka ''
complete -c 'embargo' -n '__embargo_should_offer_completions_for_flags_or_options "embargo report" cross-file-systems' -l 'cross-file-systems' -d 'Let the walk descend into other mounted file systems.'
complete -c 'embargo' -n '__embargo_should_offer_completions_for_flags_or_options "embargo report" no-walk' -l 'no-walk' -d 'Skip the file walk: read package databases, policy paths, units, certificates and repositories only.'
complete -c 'embargo' -n '__embargo_should_offer_completions_for_flags_or_options "embargo report" cache-directory' -l 'cache-directory' -d 'Keep what was learned from each file here, so a rescan reads only files that changed (default: $XDG_CACHE_HOME/embargo or ~/.cache/embargo).' -rfka ''
complete -c 'embargo' -n '__embargo_should_offer_completions_for_flags_or_options "embargo report" no-cache' -l 'no-cache' -d 'Read every file again; keep no cache.'
complete -c 'embargo' -n '__embargo_should_offer_completions_for_flags_or_options "embargo report"' -l 'waivers' -d 'A waiver file or directory of *.yaml files (default: /etc/embargo/waivers.d when it exists). Repeatable.' -rfka ''
complete -c 'embargo' -n '__embargo_should_offer_completions_for_flags_or_options "embargo report" no-waivers' -l 'no-waivers' -d 'Apply no waivers, not even those of the default directory.'
complete -c 'embargo' -n '__embargo_should_offer_completions_for_flags_or_options "embargo report" format' -l 'format' -d 'Output format.' -rfka 'text json csv html cyclonedx'
complete -c 'embargo' -n '__embargo_should_offer_completions_for_flags_or_options "embargo report" o output' -l 'output' -s 'o' -d 'Write to this file instead of standard output.' -rfka ''
complete -c 'embargo' -n '__embargo_should_offer_completions_for_flags_or_options "embargo report" version' -l 'version' -d 'Show the version.'
complete -c 'embargo' -n '__embargo_should_offer_completions_for_flags_or_options "embargo report" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'embargo' -n '__embargo_should_offer_completions_for_flags_or_options "embargo history" state-directory' -l 'state-directory' -d 'embargod\'s state directory.' -rfka ''
complete -c 'embargo' -n '__embargo_should_offer_completions_for_flags_or_options "embargo history" limit' -l 'limit' -d 'Show at most this many scans.' -rfka ''
complete -c 'embargo' -n '__embargo_should_offer_completions_for_flags_or_options "embargo history" format' -l 'format' -d 'Output format.' -rfka 'text json'
complete -c 'embargo' -n '__embargo_should_offer_completions_for_flags_or_options "embargo history" o output' -l 'output' -s 'o' -d 'Write to this file instead of standard output.' -rfka ''
complete -c 'embargo' -n '__embargo_should_offer_completions_for_flags_or_options "embargo history" version' -l 'version' -d 'Show the version.'
complete -c 'embargo' -n '__embargo_should_offer_completions_for_flags_or_options "embargo history" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'embargo' -n '__embargo_should_offer_completions_for_flags_or_options "embargo diff" state-directory' -l 'state-directory' -d 'embargod\'s state directory.' -rfka ''
complete -c 'embargo' -n '__embargo_should_offer_completions_for_flags_or_options "embargo diff" format' -l 'format' -d 'Output format.' -rfka 'text json'
complete -c 'embargo' -n '__embargo_should_offer_completions_for_flags_or_options "embargo diff" o output' -l 'output' -s 'o' -d 'Write to this file instead of standard output.' -rfka ''
complete -c 'embargo' -n '__embargo_should_offer_completions_for_flags_or_options "embargo diff" version' -l 'version' -d 'Show the version.'
complete -c 'embargo' -n '__embargo_should_offer_completions_for_flags_or_options "embargo diff" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'embargo' -n '__embargo_should_offer_completions_for_flags_or_options "embargo findings" journal' -l 'journal' -d 'Read this machine\'s journal (the default).'
complete -c 'embargo' -n '__embargo_should_offer_completions_for_flags_or_options "embargo findings" journal-directory' -l 'journal-directory' -d 'Read the journal files below this directory (journalctl -D).' -rfka ''
complete -c 'embargo' -n '__embargo_should_offer_completions_for_flags_or_options "embargo findings"' -l 'journal-file' -d 'Read this journal file (journalctl --file). Repeatable.' -rfka ''
complete -c 'embargo' -n '__embargo_should_offer_completions_for_flags_or_options "embargo findings"' -l 'vendor' -d 'Only this vendor id (kaspersky). Repeatable.' -rfka ''
complete -c 'embargo' -n '__embargo_should_offer_completions_for_flags_or_options "embargo findings"' -l 'product' -d 'Only this product id (kesl). Repeatable.' -rfka ''
complete -c 'embargo' -n '__embargo_should_offer_completions_for_flags_or_options "embargo findings"' -l 'status' -d 'Only entries with this status: violation, upcoming, waived, exempt, suspected, remnant, not-applicable, resolved. Repeatable.' -rfka ''
complete -c 'embargo' -n '__embargo_should_offer_completions_for_flags_or_options "embargo findings" since' -l 'since' -d 'Only entries logged at or after this time.' -rfka ''
complete -c 'embargo' -n '__embargo_should_offer_completions_for_flags_or_options "embargo findings" until' -l 'until' -d 'Only entries logged at or before this time.' -rfka ''
complete -c 'embargo' -n '__embargo_should_offer_completions_for_flags_or_options "embargo findings" format' -l 'format' -d 'Output format.' -rfka 'text json'
complete -c 'embargo' -n '__embargo_should_offer_completions_for_flags_or_options "embargo findings" o output' -l 'output' -s 'o' -d 'Write to this file instead of standard output.' -rfka ''
complete -c 'embargo' -n '__embargo_should_offer_completions_for_flags_or_options "embargo findings" version' -l 'version' -d 'Show the version.'
complete -c 'embargo' -n '__embargo_should_offer_completions_for_flags_or_options "embargo findings" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'embargo' -n '__embargo_should_offer_completions_for_flags_or_options "embargo policy" version' -l 'version' -d 'Show the version.'
complete -c 'embargo' -n '__embargo_should_offer_completions_for_flags_or_options "embargo policy" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'embargo' -n '__embargo_should_offer_completions_for_positional "embargo policy" -eq 1' -fa 'list' -d 'List the loaded policy files, where each was loaded from, and its SHA-256.'
complete -c 'embargo' -n '__embargo_should_offer_completions_for_positional "embargo policy" -eq 1' -fa 'validate' -d 'Check policy files and report every problem with file, line and column.'
complete -c 'embargo' -n '__embargo_should_offer_completions_for_flags_or_options "embargo policy list"' -l 'policy' -d 'A policy file or directory to load in addition to the bundled ones; a file with the same id replaces a bundled policy. Repeatable.' -rfka ''
complete -c 'embargo' -n '__embargo_should_offer_completions_for_flags_or_options "embargo policy list" no-bundled-policies' -l 'no-bundled-policies' -d 'Load only the --policy paths.'
complete -c 'embargo' -n '__embargo_should_offer_completions_for_flags_or_options "embargo policy list" format' -l 'format' -d 'Output format.' -rfka 'text json'
complete -c 'embargo' -n '__embargo_should_offer_completions_for_flags_or_options "embargo policy list" o output' -l 'output' -s 'o' -d 'Write to this file instead of standard output.' -rfka ''
complete -c 'embargo' -n '__embargo_should_offer_completions_for_flags_or_options "embargo policy list" version' -l 'version' -d 'Show the version.'
complete -c 'embargo' -n '__embargo_should_offer_completions_for_flags_or_options "embargo policy list" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'embargo' -n '__embargo_should_offer_completions_for_flags_or_options "embargo policy validate" no-bundled-policies' -l 'no-bundled-policies' -d 'Check the files on their own.'
complete -c 'embargo' -n '__embargo_should_offer_completions_for_flags_or_options "embargo policy validate" version' -l 'version' -d 'Show the version.'
complete -c 'embargo' -n '__embargo_should_offer_completions_for_flags_or_options "embargo policy validate" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'embargo' -n '__embargo_should_offer_completions_for_flags_or_options "embargo waiver" version' -l 'version' -d 'Show the version.'
complete -c 'embargo' -n '__embargo_should_offer_completions_for_flags_or_options "embargo waiver" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'embargo' -n '__embargo_should_offer_completions_for_positional "embargo waiver" -eq 1' -fa 'list' -d 'List every waiver with its status (active, expired, not-yet-valid) and what it covers.'
complete -c 'embargo' -n '__embargo_should_offer_completions_for_positional "embargo waiver" -eq 1' -fa 'check' -d 'Check waiver files and report every problem with file, line and column.'
complete -c 'embargo' -n '__embargo_should_offer_completions_for_flags_or_options "embargo waiver list"' -l 'waivers' -d 'A waiver file or directory (default: /etc/embargo/waivers.d). Repeatable.' -rfka ''
complete -c 'embargo' -n '__embargo_should_offer_completions_for_flags_or_options "embargo waiver list" as-of' -l 'as-of' -d 'Judge each waiver\'s status at this instant: YYYY-MM-DD (midnight UTC) or RFC 3339 (default: now).' -rfka ''
complete -c 'embargo' -n '__embargo_should_offer_completions_for_flags_or_options "embargo waiver list" format' -l 'format' -d 'Output format.' -rfka 'text json'
complete -c 'embargo' -n '__embargo_should_offer_completions_for_flags_or_options "embargo waiver list" o output' -l 'output' -s 'o' -d 'Write to this file instead of standard output.' -rfka ''
complete -c 'embargo' -n '__embargo_should_offer_completions_for_flags_or_options "embargo waiver list" version' -l 'version' -d 'Show the version.'
complete -c 'embargo' -n '__embargo_should_offer_completions_for_flags_or_options "embargo waiver list" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'embargo' -n '__embargo_should_offer_completions_for_flags_or_options "embargo waiver check"' -l 'policy' -d 'A policy file or directory to load in addition to the bundled ones; a file with the same id replaces a bundled policy. Repeatable.' -rfka ''
complete -c 'embargo' -n '__embargo_should_offer_completions_for_flags_or_options "embargo waiver check" no-bundled-policies' -l 'no-bundled-policies' -d 'Load only the --policy paths.'
complete -c 'embargo' -n '__embargo_should_offer_completions_for_flags_or_options "embargo waiver check" root' -l 'root' -d 'Scan this root and show the findings each waiver covers.' -rfka ''
complete -c 'embargo' -n '__embargo_should_offer_completions_for_flags_or_options "embargo waiver check" profile' -l 'profile' -d 'Profile for --root (default: the policy\'s default).' -rfka ''
complete -c 'embargo' -n '__embargo_should_offer_completions_for_flags_or_options "embargo waiver check" as-of' -l 'as-of' -d 'Judge statuses at this instant: YYYY-MM-DD (midnight UTC) or RFC 3339 (default: now).' -rfka ''
complete -c 'embargo' -n '__embargo_should_offer_completions_for_flags_or_options "embargo waiver check"' -l 'scan-path' -d 'A directory (inside the root) to walk for loose binaries, instead of the defaults /opt, /usr/local, /srv, /home, /root, /var/opt, /etc/opt. Repeatable.' -rfka ''
complete -c 'embargo' -n '__embargo_should_offer_completions_for_flags_or_options "embargo waiver check"' -l 'exclude' -d 'A path (inside the root) or file name the walk skips (default: /tmp). Repeatable.' -rfka ''
complete -c 'embargo' -n '__embargo_should_offer_completions_for_flags_or_options "embargo waiver check" cross-file-systems' -l 'cross-file-systems' -d 'Let the walk descend into other mounted file systems.'
complete -c 'embargo' -n '__embargo_should_offer_completions_for_flags_or_options "embargo waiver check" no-walk' -l 'no-walk' -d 'Skip the file walk: read package databases, policy paths, units, certificates and repositories only.'
complete -c 'embargo' -n '__embargo_should_offer_completions_for_flags_or_options "embargo waiver check" cache-directory' -l 'cache-directory' -d 'Keep what was learned from each file here, so a rescan reads only files that changed (default: $XDG_CACHE_HOME/embargo or ~/.cache/embargo).' -rfka ''
complete -c 'embargo' -n '__embargo_should_offer_completions_for_flags_or_options "embargo waiver check" no-cache' -l 'no-cache' -d 'Read every file again; keep no cache.'
complete -c 'embargo' -n '__embargo_should_offer_completions_for_flags_or_options "embargo waiver check" format' -l 'format' -d 'Output format.' -rfka 'text json'
complete -c 'embargo' -n '__embargo_should_offer_completions_for_flags_or_options "embargo waiver check" o output' -l 'output' -s 'o' -d 'Write to this file instead of standard output.' -rfka ''
complete -c 'embargo' -n '__embargo_should_offer_completions_for_flags_or_options "embargo waiver check" version' -l 'version' -d 'Show the version.'
complete -c 'embargo' -n '__embargo_should_offer_completions_for_flags_or_options "embargo waiver check" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'embargo' -n '__embargo_should_offer_completions_for_flags_or_options "embargo help" version' -l 'version' -d 'Show the version.'
