#compdef embargo

__embargo_complete() {
    local -ar non_empty_completions=("${@:#(|:*)}")
    local -ar empty_completions=("${(M)@:#(|:*)}")
    _describe -V '' non_empty_completions -- empty_completions -P $'\'\''
}

__embargo_custom_complete() {
    local -a completions
    completions=("${(@f)"$("${command_name}" "${@}" "${command_line[@]}")"}")
    if [[ "${#completions[@]}" -gt 1 ]]; then
        __embargo_complete "${completions[@]:0:-1}"
    fi
}

__embargo_cursor_index_in_current_word() {
    if [[ -z "${QIPREFIX}${IPREFIX}${PREFIX}" ]]; then
        printf 0
    else
        printf %s "${#${(z)LBUFFER}[-1]}"
    fi
}

_embargo() {
    emulate -RL zsh -G
    setopt extendedglob nullglob numericglobsort
    unsetopt aliases banghist

    local -xr SAP_SHELL=zsh
    local -x SAP_SHELL_VERSION
    SAP_SHELL_VERSION="$(builtin emulate zsh -c 'printf %s "${ZSH_VERSION}"')"
    local -r SAP_SHELL_VERSION

    local context state state_descr line
    local -A opt_args

    local -r command_name="${words[1]}"
    local -ar command_line=("${words[@]}")
    local -ir current_word_index="$((CURRENT - 1))"

    local -i ret=1
    local -ar arg_specs=(
        '--version[Show the version.]'
        '(-h --help)'{-h,--help}'[Show help information.]'
        '(-): :->command'
        '(-)*:: :->arg'
    )
    _arguments -w -s -S : "${arg_specs[@]}" && ret=0
    case "${state}" in
    command)
        local -ar subcommands=(
            'scan:Scan a root for restricted software and report each finding with its evidence and dated status.'
            'inventory:List every package of every package database in a root, with install and update dates.'
            'report:Write a compliance report: from the daemon'\''s scan history, from a fresh scan, or across a fleet'\''s journals.'
            'history:List the scans embargod recorded: when, how long, what was found, under which policy.'
            'diff:Show software and findings added, removed and changed between two recorded scans.'
            'findings:Read the findings embargod logged back from the systemd journal.'
            'policy:Show and check policies.'
            'waiver:Show and check waivers: approved, time-limited exceptions that turn a violation into waived.'
            'help:Show subcommand help information.'
        )
        _describe -V subcommand subcommands && ret=0
        ;;
    arg)
        case "${words[1]}" in
        scan|inventory|report|history|diff|findings|policy|waiver|help)
            "_embargo_${words[1]}" && ret=0
            ;;
        esac
        ;;
    esac

    return "${ret}"
}

_embargo_scan() {
    local -i ret=1
    local -ar ___format=('text' 'json')
    local -ar arg_specs=(
        '--root[The root to scan\: / for this machine, or a mounted image or container root.]:dir:'
        '*--policy[A policy file or directory to load in addition to the bundled ones; a file with the same id replaces a bundled policy. Repeatable.]:path:'
        '--no-bundled-policies[Load only the --policy paths.]'
        '--profile[Who the host belongs to; selects the restrictions that bind it (default\: the policy'\''s default profile, us-commercial).]:name:'
        '--as-of[Judge findings at this instant\: YYYY-MM-DD (midnight UTC) or RFC 3339 (default\: now).]:date:'
        '*--scan-path[A directory (inside the root) to walk for loose binaries, instead of the defaults /opt, /usr/local, /srv, /home, /root, /var/opt, /etc/opt. Repeatable.]:dir:'
        '*--exclude[A path (inside the root) or file name the walk skips (default\: /tmp). Repeatable.]:path:'
        '--cross-file-systems[Let the walk descend into other mounted file systems.]'
        '--no-walk[Skip the file walk\: read package databases, policy paths, units, certificates and repositories only.]'
        '--cache-directory[Keep what was learned from each file here, so a rescan reads only files that changed (default\: $XDG_CACHE_HOME/embargo or ~/.cache/embargo).]:dir:'
        '--no-cache[Read every file again; keep no cache.]'
        '*--waivers[A waiver file or directory of *.yaml files (default\: /etc/embargo/waivers.d when it exists). Repeatable.]:path:'
        '--no-waivers[Apply no waivers, not even those of the default directory.]'
        '--format[Output format.]:format:{__embargo_complete "${___format[@]}"}'
        '(--output -o)'{--output,-o}'[Write to this file instead of standard output.]:file:'
        '--version[Show the version.]'
        '(-h --help)'{-h,--help}'[Show help information.]'
    )
    _arguments -w -s -S : "${arg_specs[@]}" && ret=0

    return "${ret}"
}

_embargo_inventory() {
    local -i ret=1
    local -ar ___format=('text' 'json')
    local -ar arg_specs=(
        '--root[The root to read\: / for this machine, or a mounted image or container root.]:dir:'
        '--format[Output format.]:format:{__embargo_complete "${___format[@]}"}'
        '(--output -o)'{--output,-o}'[Write to this file instead of standard output.]:file:'
        '--version[Show the version.]'
        '(-h --help)'{-h,--help}'[Show help information.]'
    )
    _arguments -w -s -S : "${arg_specs[@]}" && ret=0

    return "${ret}"
}

_embargo_report() {
    local -i ret=1
    local -ar ___format=('text' 'json' 'csv' 'html' 'cyclonedx')
    local -ar arg_specs=(
        '--state-directory[embargod'\''s state directory (its scan history).]:dir:'
        '--scan[Report this scan (an id or a unique prefix of one).]:id:'
        '--since[Report the scans since this date (YYYY-MM-DD or RFC 3339).]:date:'
        '--scan-now[Scan now instead of reading the history (takes the scan options).]'
        '*--journal-directory[A directory of journal files of one or more hosts (fleet report). Repeatable.]:dir:'
        '--root[The root to scan with --scan-now.]:dir:'
        '*--policy[A policy file or directory to load in addition to the bundled ones; a file with the same id replaces a bundled policy. Repeatable.]:path:'
        '--no-bundled-policies[Load only the --policy paths.]'
        '--profile[Profile for --scan-now (default\: the policy'\''s default).]:name:'
        '--as-of[Judge at this instant (--scan-now).]:date:'
        '*--scan-path[A directory (inside the root) to walk for loose binaries, instead of the defaults /opt, /usr/local, /srv, /home, /root, /var/opt, /etc/opt. Repeatable.]:dir:'
        '*--exclude[A path (inside the root) or file name the walk skips (default\: /tmp). Repeatable.]:path:'
        '--cross-file-systems[Let the walk descend into other mounted file systems.]'
        '--no-walk[Skip the file walk\: read package databases, policy paths, units, certificates and repositories only.]'
        '--cache-directory[Keep what was learned from each file here, so a rescan reads only files that changed (default\: $XDG_CACHE_HOME/embargo or ~/.cache/embargo).]:dir:'
        '--no-cache[Read every file again; keep no cache.]'
        '*--waivers[A waiver file or directory of *.yaml files (default\: /etc/embargo/waivers.d when it exists). Repeatable.]:path:'
        '--no-waivers[Apply no waivers, not even those of the default directory.]'
        '--format[Output format.]:format:{__embargo_complete "${___format[@]}"}'
        '(--output -o)'{--output,-o}'[Write to this file instead of standard output.]:file:'
        '--version[Show the version.]'
        '(-h --help)'{-h,--help}'[Show help information.]'
    )
    _arguments -w -s -S : "${arg_specs[@]}" && ret=0

    return "${ret}"
}

_embargo_history() {
    local -i ret=1
    local -ar ___format=('text' 'json')
    local -ar arg_specs=(
        '--state-directory[embargod'\''s state directory.]:dir:'
        '--limit[Show at most this many scans.]:count:'
        '--format[Output format.]:format:{__embargo_complete "${___format[@]}"}'
        '(--output -o)'{--output,-o}'[Write to this file instead of standard output.]:file:'
        '--version[Show the version.]'
        '(-h --help)'{-h,--help}'[Show help information.]'
    )
    _arguments -w -s -S : "${arg_specs[@]}" && ret=0

    return "${ret}"
}

_embargo_diff() {
    local -i ret=1
    local -ar ___format=('text' 'json')
    local -ar arg_specs=(
        ':A:'
        ':B:'
        '--state-directory[embargod'\''s state directory.]:dir:'
        '--format[Output format.]:format:{__embargo_complete "${___format[@]}"}'
        '(--output -o)'{--output,-o}'[Write to this file instead of standard output.]:file:'
        '--version[Show the version.]'
        '(-h --help)'{-h,--help}'[Show help information.]'
    )
    _arguments -w -s -S : "${arg_specs[@]}" && ret=0

    return "${ret}"
}

_embargo_findings() {
    local -i ret=1
    local -ar ___format=('text' 'json')
    local -ar arg_specs=(
        '--journal[Read this machine'\''s journal (the default).]'
        '--journal-directory[Read the journal files below this directory (journalctl -D).]:dir:'
        '*--journal-file[Read this journal file (journalctl --file). Repeatable.]:file:'
        '*--vendor[Only this vendor id (kaspersky). Repeatable.]:id:'
        '*--product[Only this product id (kesl). Repeatable.]:id:'
        '*--status[Only entries with this status\: violation, upcoming, waived, exempt, suspected, remnant, not-applicable, resolved. Repeatable.]:status:'
        '--since[Only entries logged at or after this time.]:time:'
        '--until[Only entries logged at or before this time.]:time:'
        '--format[Output format.]:format:{__embargo_complete "${___format[@]}"}'
        '(--output -o)'{--output,-o}'[Write to this file instead of standard output.]:file:'
        '--version[Show the version.]'
        '(-h --help)'{-h,--help}'[Show help information.]'
    )
    _arguments -w -s -S : "${arg_specs[@]}" && ret=0

    return "${ret}"
}

_embargo_policy() {
    local -i ret=1
    local -ar arg_specs=(
        '--version[Show the version.]'
        '(-h --help)'{-h,--help}'[Show help information.]'
        '(-): :->command'
        '(-)*:: :->arg'
    )
    _arguments -w -s -S : "${arg_specs[@]}" && ret=0
    case "${state}" in
    command)
        local -ar subcommands=(
            'list:List the loaded policy files, where each was loaded from, and its SHA-256.'
            'validate:Check policy files and report every problem with file, line and column.'
        )
        _describe -V subcommand subcommands && ret=0
        ;;
    arg)
        case "${words[1]}" in
        list|validate)
            "_embargo_policy_${words[1]}" && ret=0
            ;;
        esac
        ;;
    esac

    return "${ret}"
}

_embargo_policy_list() {
    local -i ret=1
    local -ar ___format=('text' 'json')
    local -ar arg_specs=(
        '*--policy[A policy file or directory to load in addition to the bundled ones; a file with the same id replaces a bundled policy. Repeatable.]:path:'
        '--no-bundled-policies[Load only the --policy paths.]'
        '--format[Output format.]:format:{__embargo_complete "${___format[@]}"}'
        '(--output -o)'{--output,-o}'[Write to this file instead of standard output.]:file:'
        '--version[Show the version.]'
        '(-h --help)'{-h,--help}'[Show help information.]'
    )
    _arguments -w -s -S : "${arg_specs[@]}" && ret=0

    return "${ret}"
}

_embargo_policy_validate() {
    local -i ret=1
    local -ar arg_specs=(
        '*:path:'
        '--no-bundled-policies[Check the files on their own.]'
        '--version[Show the version.]'
        '(-h --help)'{-h,--help}'[Show help information.]'
    )
    _arguments -w -s -S : "${arg_specs[@]}" && ret=0

    return "${ret}"
}

_embargo_waiver() {
    local -i ret=1
    local -ar arg_specs=(
        '--version[Show the version.]'
        '(-h --help)'{-h,--help}'[Show help information.]'
        '(-): :->command'
        '(-)*:: :->arg'
    )
    _arguments -w -s -S : "${arg_specs[@]}" && ret=0
    case "${state}" in
    command)
        local -ar subcommands=(
            'list:List every waiver with its status (active, expired, not-yet-valid) and what it covers.'
            'check:Check waiver files and report every problem with file, line and column.'
        )
        _describe -V subcommand subcommands && ret=0
        ;;
    arg)
        case "${words[1]}" in
        list|check)
            "_embargo_waiver_${words[1]}" && ret=0
            ;;
        esac
        ;;
    esac

    return "${ret}"
}

_embargo_waiver_list() {
    local -i ret=1
    local -ar ___format=('text' 'json')
    local -ar arg_specs=(
        '*--waivers[A waiver file or directory (default\: /etc/embargo/waivers.d). Repeatable.]:path:'
        '--as-of[Judge each waiver'\''s status at this instant\: YYYY-MM-DD (midnight UTC) or RFC 3339 (default\: now).]:date:'
        '--format[Output format.]:format:{__embargo_complete "${___format[@]}"}'
        '(--output -o)'{--output,-o}'[Write to this file instead of standard output.]:file:'
        '--version[Show the version.]'
        '(-h --help)'{-h,--help}'[Show help information.]'
    )
    _arguments -w -s -S : "${arg_specs[@]}" && ret=0

    return "${ret}"
}

_embargo_waiver_check() {
    local -i ret=1
    local -ar ___format=('text' 'json')
    local -ar arg_specs=(
        '*:path:'
        '*--policy[A policy file or directory to load in addition to the bundled ones; a file with the same id replaces a bundled policy. Repeatable.]:path:'
        '--no-bundled-policies[Load only the --policy paths.]'
        '--root[Scan this root and show the findings each waiver covers.]:dir:'
        '--profile[Profile for --root (default\: the policy'\''s default).]:name:'
        '--as-of[Judge statuses at this instant\: YYYY-MM-DD (midnight UTC) or RFC 3339 (default\: now).]:date:'
        '*--scan-path[A directory (inside the root) to walk for loose binaries, instead of the defaults /opt, /usr/local, /srv, /home, /root, /var/opt, /etc/opt. Repeatable.]:dir:'
        '*--exclude[A path (inside the root) or file name the walk skips (default\: /tmp). Repeatable.]:path:'
        '--cross-file-systems[Let the walk descend into other mounted file systems.]'
        '--no-walk[Skip the file walk\: read package databases, policy paths, units, certificates and repositories only.]'
        '--cache-directory[Keep what was learned from each file here, so a rescan reads only files that changed (default\: $XDG_CACHE_HOME/embargo or ~/.cache/embargo).]:dir:'
        '--no-cache[Read every file again; keep no cache.]'
        '--format[Output format.]:format:{__embargo_complete "${___format[@]}"}'
        '(--output -o)'{--output,-o}'[Write to this file instead of standard output.]:file:'
        '--version[Show the version.]'
        '(-h --help)'{-h,--help}'[Show help information.]'
    )
    _arguments -w -s -S : "${arg_specs[@]}" && ret=0

    return "${ret}"
}

_embargo_help() {
    local -i ret=1
    local -ar arg_specs=(
        '*:subcommands:'
        '--version[Show the version.]'
    )
    _arguments -w -s -S : "${arg_specs[@]}" && ret=0

    return "${ret}"
}

if [[ "${funcstack[1]}" = _embargo ]]; then
    _embargo "${@}"
else
    compdef _embargo embargo
fi
